"""Bank statements as banks export them, built by the tests: OFX 1.0.2 (SGML, with its
header block), OFX 2.2 (XML), camt.053.001.02 and .08 (ISO 20022, with the namespace),
and a French bank's CSV (`;`, decimal commas, account details above the header).

A transaction is (day, amount in euros as a string "50.00" or "-12.30", label, bank id)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

Tx = tuple[date, str, str, str | None]


def ofx_sgml(transactions: list[Tx]) -> bytes:
    body = "".join(
        "<STMTTRN><TRNTYPE>{kind}<DTPOSTED>{day:%Y%m%d}120000<TRNAMT>{amount}"
        "<FITID>{fitid}<NAME>{name}<MEMO>{memo}</STMTTRN>\n".format(
            kind="CREDIT" if Decimal(amount) > 0 else "DEBIT",
            day=day,
            amount=amount,
            fitid=fitid,
            name=escape(label[:32]),
            memo=escape(label[32:] or label),
        )
        for day, amount, label, fitid in transactions
    )
    header = (
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
        "CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
    )
    return (header + _ofx_body(body, transactions)).encode("cp1252")


def ofx_xml(transactions: list[Tx]) -> bytes:
    body = "".join(
        "<STMTTRN><TRNTYPE>{kind}</TRNTYPE><DTPOSTED>{day:%Y%m%d}</DTPOSTED>"
        "<TRNAMT>{amount}</TRNAMT><FITID>{fitid}</FITID><NAME>{name}</NAME><MEMO>{memo}</MEMO>"
        "</STMTTRN>\n".format(
            kind="CREDIT" if Decimal(amount) > 0 else "DEBIT",
            day=day,
            amount=amount,
            fitid=fitid,
            name=escape(label[:32]),
            memo=escape(label[32:] or label),
        )
        for day, amount, label, fitid in transactions
    )
    header = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" '
        'NEWFILEUID="NONE"?>\n'
    )
    text = _ofx_body(body, transactions, xml=True)
    return (header + text).encode("utf-8")


def _ofx_body(body: str, transactions: list[Tx], xml: bool = False) -> str:
    def tag(name, value):
        return f"<{name}>{value}</{name}>" if xml else f"<{name}>{value}"

    days = [t[0] for t in transactions] or [date.today()]
    return (
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS>"
        + tag("CODE", "0")
        + tag("SEVERITY", "INFO")
        + "</STATUS>"
        + tag("DTSERVER", f"{max(days):%Y%m%d}120000")
        + tag("LANGUAGE", "FRA")
        + "</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS>"
        + tag("TRNUID", "1")
        + "<STATUS>"
        + tag("CODE", "0")
        + tag("SEVERITY", "INFO")
        + "</STATUS><STMTRS>"
        + tag("CURDEF", "EUR")
        + "<BANKACCTFROM>"
        + tag("BANKID", "30006")
        + tag("BRANCHID", "00001")
        + tag("ACCTID", "12345678901")
        + tag("ACCTTYPE", "CHECKING")
        + "</BANKACCTFROM><BANKTRANLIST>"
        + tag("DTSTART", f"{min(days):%Y%m%d}")
        + tag("DTEND", f"{max(days):%Y%m%d}")
        + "\n"
        + body
        + "</BANKTRANLIST><LEDGERBAL>"
        + tag("BALAMT", "1000.00")
        + tag("DTASOF", f"{max(days):%Y%m%d}")
        + "</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )


def camt053(transactions: list[Tx], version: str = "02", pending: list[Tx] = ()) -> bytes:
    """camt.053.001.<version> (02: Sts as text, Dbtr/Nm; 08: Sts/Cd, Dbtr/Pty/Nm)."""

    def entry(tx: Tx, status: str) -> str:
        day, amount, label, ref = tx
        value = Decimal(amount)
        sts = f"<Sts>{status}</Sts>" if version == "02" else f"<Sts><Cd>{status}</Cd></Sts>"
        debtor = (
            "<Dbtr><Nm>M DUPONT</Nm></Dbtr>"
            if version == "02"
            else "<Dbtr><Pty><Nm>M DUPONT</Nm></Pty></Dbtr>"
        )
        return (
            f'<Ntry><Amt Ccy="EUR">{abs(value):.2f}</Amt>'
            f"<CdtDbtInd>{'CRDT' if value > 0 else 'DBIT'}</CdtDbtInd>{sts}"
            f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>"
            + (f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else "")
            + "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
            "</Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
            f"<RltdPties>{debtor}</RltdPties><RmtInf><Ustrd>{escape(label)}</Ustrd></RmtInf>"
            "</TxDtls></NtryDtls></Ntry>"
        )

    entries = "".join(entry(tx, "BOOK") for tx in transactions)
    entries += "".join(entry(tx, "PDNG") for tx in pending)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<BkToCstmrStmt><GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-12-01T08:00:00</CreDtTm>"
        "</GrpHdr><Stmt><Id>STMT-1</Id><ElctrncSeqNb>1</ElctrncSeqNb>"
        "<CreDtTm>2026-12-01T08:00:00</CreDtTm><Acct><Id><IBAN>FR7630006000011234567890189"
        "</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt></Bal>"
        f"{entries}</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()


def french_csv(transactions: list[Tx], split_columns: bool = False) -> bytes:
    """A French bank's export: account details first, `;`, dd/mm/yyyy, "1 234,56"."""
    lines = ["Compte courant;FR76 3000 6000 0112 3456 7890 189", "Solde au 30/11;1 000,00", ""]
    if split_columns:
        lines.append("Date opération;Libellé;Débit euros;Crédit euros")
    else:
        lines.append("Date;Date valeur;Libellé;Montant")
    for day, amount, label, _ref in transactions:
        value = Decimal(amount)
        french = f"{abs(value):,.2f}".replace(",", " ").replace(".", ",")
        if split_columns:
            debit, credit = (french, "") if value < 0 else ("", french)
            lines.append(f"{day:%d/%m/%Y};{label};{debit};{credit}")
        else:
            lines.append(
                f"{day:%d/%m/%Y};{day:%d/%m/%Y};{label};{'-' if value < 0 else ''}{french}"
            )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")
