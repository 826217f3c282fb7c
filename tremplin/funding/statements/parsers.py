"""Reading bank statements: OFX (ofxtools), CAMT.053 (ISO 20022 XML, read with defusedxml's
ElementTree against the camt.053.001.xx namespaces) and CSV with a column mapping. Pure:
bytes in, lines out, a `StatementError` (French, attached to a form field) when the file
cannot be read. Nothing is written here.

The format is found from the content, never from the file name. Each line gets a key
that is the same every time the same statement is read: the bank's own id (OFX FITID,
CAMT AcctSvcrRef), else a hash of date, amount and label (numbered when the same line
appears twice in one file).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from tremplin.platform.errors import DomainError

PARIS = ZoneInfo("Europe/Paris")
OFX, CAMT, CSV = "ofx", "camt", "csv"
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."


class StatementError(DomainError):
    field = "statement"


@dataclass
class Line:
    booked_on: date
    amount_cents: int
    label: str
    bank_ref: str | None = None
    key: str = ""


@dataclass
class Mapping:
    """Which CSV column holds what: a header name or a column number (from 1); blank
    ones are guessed from the header row."""

    date: str = ""
    amount: str = ""
    credit: str = ""
    debit: str = ""
    label: str = ""


@dataclass
class Parsed:
    file_format: str
    lines: list[Line]
    skipped: int = 0
    columns: list[str] = field(default_factory=list)


# --- detection -------------------------------------------------------------------------------


def detect(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    upper = head.upper()
    if upper.startswith(b"%PDF"):
        raise StatementError(
            _(
                "Les relevés PDF ne peuvent pas être lus : téléchargez depuis votre banque le "
                "relevé au format OFX, CAMT.053 (XML) ou CSV."
            )
        )
    if upper.startswith(b"OFXHEADER") or b"<OFX>" in upper or b"OFXHEADER=" in upper:
        return OFX
    if upper.startswith(b"<"):
        if CAMT_NS.encode() in head or CAMT_NS.encode() in data[:20000]:
            return CAMT
        raise StatementError(
            _("Ce fichier XML n'est pas un relevé de compte CAMT.053 (ISO 20022).")
        )
    if b"\x00" in head or upper.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise StatementError(
            _(
                "Ce fichier n'est pas un relevé lisible (tableur ou fichier binaire ?). "
                "Enregistrez-le en CSV, ou téléchargez le relevé OFX ou CAMT.053."
            )
        )
    return CSV


def parse(data: bytes, mapping: Mapping | None = None) -> Parsed:
    if not data.strip():
        raise StatementError(_("Le fichier est vide."))
    kind = detect(data)
    if kind == OFX:
        parsed = Parsed(OFX, parse_ofx(data))
    elif kind == CAMT:
        parsed = Parsed(CAMT, parse_camt(data))
    else:
        parsed = parse_csv(data, mapping or Mapping())
    _number_keys(parsed.lines)
    return parsed


# --- money, dates, keys -----------------------------------------------------------------------


def to_cents(value) -> int:
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise InvalidOperation(str(value))
    return int(cents)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).upper().split())


def _number_keys(lines: list[Line]) -> None:
    """Lines without a bank id: a hash of date+amount+label, numbered within the file (two
    identical transfers the same day are two lines, and stay two on a second import).
    Lines with a bank id seen twice in one file keep the first."""
    seen: dict[str, int] = {}
    kept = []
    for line in lines:
        if line.bank_ref:
            base = f"ref:{line.bank_ref}"[:150]
            if base in seen:
                continue
            seen[base] = 1
            line.key = base
        else:
            digest = hashlib.sha256(
                f"{line.booked_on.isoformat()}|{line.amount_cents}|{_norm(line.label)}".encode()
            ).hexdigest()[:40]
            seen[digest] = seen.get(digest, 0) + 1
            line.key = f"h:{digest}:{seen[digest]}"
        kept.append(line)
    lines[:] = kept


# --- OFX -------------------------------------------------------------------------------------


def parse_ofx(data: bytes) -> list[Line]:
    from ofxtools.Parser import OFXTree

    try:
        tree = OFXTree()
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
        statements = list(ofx.statements)
    except Exception:  # ofxtools raises many kinds of errors on a damaged file
        raise StatementError(
            _("Ce fichier OFX est illisible ou incomplet : téléchargez-le à nouveau.")
        ) from None
    lines = []
    for statement in statements:
        currency = getattr(statement, "curdef", "EUR") or "EUR"
        if currency != "EUR":
            raise StatementError(_("Seuls les relevés en euros peuvent être importés."))
        for tx in statement.banktranlist or []:
            posted = tx.dtposted
            booked = posted.astimezone(PARIS).date() if posted.tzinfo else posted.date()
            label = " ".join(
                part for part in (tx.name, tx.memo if tx.memo != tx.name else None) if part
            )
            try:
                cents = to_cents(tx.trnamt)
            except InvalidOperation:
                continue
            if cents:
                lines.append(Line(booked, cents, label[:500], (tx.fitid or "").strip() or None))
    return lines


# --- CAMT.053 --------------------------------------------------------------------------------


def parse_camt(data: bytes) -> list[Line]:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError):
        raise StatementError(_("Ce fichier XML est illisible ou incomplet.")) from None
    match = re.match(r"\{(" + re.escape(CAMT_NS) + r"\d+)\}", root.tag)
    if not match:
        raise StatementError(
            _("Ce fichier XML n'est pas un relevé de compte CAMT.053 (ISO 20022).")
        )
    ns = {"c": match.group(1)}

    def text(node, path: str) -> str:
        found = node.find(path, ns)
        return (found.text or "").strip() if found is not None and found.text else ""

    def booked(node) -> date | None:
        for path in ("c:BookgDt/c:Dt", "c:BookgDt/c:DtTm", "c:ValDt/c:Dt", "c:ValDt/c:DtTm"):
            value = text(node, path)
            if value:
                try:
                    return date.fromisoformat(value[:10])
                except ValueError:
                    return None
        return None

    def describe(entry, details: list) -> str:
        parts = [text(entry, "c:AddtlNtryInf")]
        for tx in details:
            parts += [n.text.strip() for n in tx.findall("c:RmtInf/c:Ustrd", ns) if n.text]
            parts += [n.text.strip() for n in tx.findall("c:RmtInf/c:Strd//c:Ref", ns) if n.text]
            end_to_end = text(tx, "c:Refs/c:EndToEndId")
            if end_to_end and end_to_end.upper() != "NOTPROVIDED":
                parts.append(end_to_end)
            parts.append(
                text(tx, "c:RltdPties/c:Dbtr/c:Nm") or text(tx, "c:RltdPties/c:Dbtr/c:Pty/c:Nm")
            )
            parts.append(text(tx, "c:AddtlTxInf"))
        unique = []
        for part in parts:
            if part and part not in unique:
                unique.append(part)
        return " / ".join(unique)[:500]

    def signed(amount_text: str, indicator: str) -> int:
        cents = to_cents(Decimal(amount_text))
        return -cents if indicator == "DBIT" else cents

    lines = []
    for statement in root.findall("c:BkToCstmrStmt/c:Stmt", ns):
        currency = statement.find("c:Acct/c:Ccy", ns)
        if currency is not None and (currency.text or "").strip() not in ("", "EUR"):
            raise StatementError(_("Seuls les relevés en euros peuvent être importés."))
        for entry in statement.findall("c:Ntry", ns):
            status = text(entry, "c:Sts") or text(entry, "c:Sts/c:Cd")
            if status and status != "BOOK":
                continue  # pending or information only: not yet on the account
            day = booked(entry)
            amount = entry.find("c:Amt", ns)
            if day is None or amount is None:
                continue
            if amount.get("Ccy", "EUR") != "EUR":
                raise StatementError(_("Seuls les relevés en euros peuvent être importés."))
            indicator = text(entry, "c:CdtDbtInd")
            entry_ref = text(entry, "c:AcctSvcrRef") or text(entry, "c:NtryRef")
            details = entry.findall("c:NtryDtls/c:TxDtls", ns)
            try:
                amounts = [
                    text(tx, "c:Amt") or text(tx, "c:AmtDtls/c:TxAmt/c:Amt") for tx in details
                ]
                if len(details) > 1 and all(amounts):
                    # a batch booked as one entry: one line per transfer in it
                    for index, (tx, value) in enumerate(zip(details, amounts, strict=True), 1):
                        tx_indicator = text(tx, "c:CdtDbtInd") or indicator
                        ref = text(tx, "c:Refs/c:AcctSvcrRef") or (
                            f"{entry_ref}/{index}" if entry_ref else None
                        )
                        cents = signed(value, tx_indicator)
                        if cents:
                            lines.append(Line(day, cents, describe(entry, [tx]), ref))
                    continue
                cents = signed((amount.text or "").strip(), indicator)
            except (InvalidOperation, ValueError):
                raise StatementError(
                    _("Un montant du relevé CAMT.053 est illisible : %(value)s", value=amount.text)
                ) from None
            ref = entry_ref or (
                text(details[0], "c:Refs/c:AcctSvcrRef") if len(details) == 1 else ""
            )
            if cents:
                lines.append(Line(day, cents, describe(entry, details), ref or None))
    return lines


# --- CSV -------------------------------------------------------------------------------------

_GUESSES = {
    "date": ("date operation", "date comptable", "date de l'operation", "date", "date valeur"),
    "amount": ("montant", "montant(eur)", "montant (eur)", "montant en euros", "amount"),
    "credit": ("credit", "credit euros", "credit (eur)"),
    "debit": ("debit", "debit euros", "debit (eur)"),
    "label": ("libelle", "libelle operation", "libelle de l'operation", "intitule", "description"),
}
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_amount(text: str) -> int | None:
    """French or English amounts: "1 234,56", "-12,00", "1.234,56 €", "+50.00"."""
    value = (text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    value = value.replace("€", "").replace("EUR", "").replace("'", "")
    if value.endswith("-"):
        value = "-" + value[:-1]
    if not value:
        return None
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif "," in value:
        value = value.replace(",", ".")
    if not _NUMBER.match(value):
        return None
    try:
        return to_cents(Decimal(value))
    except InvalidOperation:
        return None


def parse_day(text: str) -> date | None:
    value = (text or "").strip()
    for pattern in ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(value[:10], pattern).date()
        except ValueError:
            continue
    return None


def _column(wanted: str, headers: list[str], what: str, required: bool) -> int | None:
    names = [_norm(h).lower() for h in headers]
    wanted = (wanted or "").strip()
    if wanted:
        if wanted.isdigit() and 1 <= int(wanted) <= max(len(headers), 1):
            return int(wanted) - 1
        key = _norm(wanted).lower()
        if key in names:
            return names.index(key)
        raise StatementError(
            _(
                "Aucune colonne « %(name)s » dans ce fichier. Colonnes trouvées : %(found)s.",
                name=wanted,
                found=" ; ".join(h for h in headers if h),
            ),
            field=f"{what}_column",
        )
    for guess in _GUESSES[what]:
        if guess in names:
            return names.index(guess)
    if required:
        raise StatementError(
            _(
                "Indiquez quelle colonne contient cette information (son nom ou son numéro). "
                "Colonnes trouvées : %(found)s.",
                found=" ; ".join(h for h in headers if h),
            ),
            field=f"{what}_column",
        )
    return None


def parse_csv(data: bytes, mapping: Mapping) -> Parsed:
    text = _decode(data)
    rows = [row for row in _reader(text) if any(cell.strip() for cell in row)]
    if not rows:
        raise StatementError(_("Le fichier est vide."))
    header_index = _header_row(rows, mapping)
    width = max(len(row) for row in rows)
    headers = (
        [cell.strip() for cell in rows[header_index]]
        if header_index >= 0
        else [str(number) for number in range(1, width + 1)]
    )
    headers += [""] * (width - len(headers))
    date_col = _column(mapping.date, headers, "date", True)
    label_col = _column(mapping.label, headers, "label", True)
    amount_col = _column(mapping.amount, headers, "amount", False)
    credit_col = debit_col = None
    if amount_col is None:
        credit_col = _column(mapping.credit, headers, "credit", False)
        debit_col = _column(mapping.debit, headers, "debit", False)
        if credit_col is None:
            raise StatementError(
                _(
                    "Indiquez la colonne du montant (ou celle des crédits). "
                    "Colonnes trouvées : %(found)s.",
                    found=" ; ".join(h for h in headers if h),
                ),
                field="amount_column",
            )
    lines, skipped = [], 0
    for row in rows[header_index + 1 :]:

        def cell(i, row=row):
            return row[i] if i is not None and i < len(row) else ""

        day = parse_day(cell(date_col))
        if amount_col is not None:
            cents = parse_amount(cell(amount_col))
        else:
            credit, debit = parse_amount(cell(credit_col)), parse_amount(cell(debit_col))
            cents = abs(credit) if credit else (-abs(debit) if debit else None)
        if day is None or not cents:
            skipped += 1
            continue
        lines.append(Line(day, cents, " ".join(cell(label_col).split())[:500]))
    if not lines:
        raise StatementError(
            _(
                "Aucune ligne de ce fichier n'a une date et un montant lisibles dans les "
                "colonnes choisies. Colonnes trouvées : %(found)s.",
                found=" ; ".join(h for h in headers if h),
            ),
            field="date_column",
        )
    return Parsed(CSV, lines, skipped, headers)


def _reader(text: str):
    sample = "\n".join(text.splitlines()[:20])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        raise StatementError(_("Ce fichier CSV est illisible.")) from None


def _header_row(rows: list[list[str]], mapping: Mapping) -> int:
    """The header: the first row (among the first 30) naming a date column, or the mapped
    columns; banks often put the account's details above it."""
    wanted = {_norm(v).lower() for v in (mapping.date, mapping.label) if v and not v.isdigit()}
    for index, row in enumerate(rows[:30]):
        names = {_norm(cell).lower() for cell in row}
        if wanted and wanted <= names:
            return index
        if not wanted and names & set(_GUESSES["date"]):
            return index
    if mapping.date.strip().isdigit():  # no header named: the row above the first date
        column = int(mapping.date) - 1
        for index, row in enumerate(rows[:30]):
            if column < len(row) and parse_day(row[column]):
                return index - 1
    return 0
