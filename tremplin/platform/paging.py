"""What the `pagination` macro reads from a page of results, for any dataclass with
`page`, `per_page` and `total`."""

from __future__ import annotations


class PageNumbers:
    page: int
    per_page: int
    total: int
    max_pages: int | None = None  # a ceiling (search caps deep paging)

    @property
    def pages(self) -> int:
        pages = max(1, -(-self.total // self.per_page))
        return min(pages, self.max_pages) if self.max_pages else pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
