"""Independent referee for the Allpay SOAP bindings (run by `cargo xtask referee`).

For every request-envelope snapshot of the allpay-soap crate:
  * lxml validates the Body's operation element against the crate's own
    schema (the WSDL's inline schema importing allpay-types.xsd), strictly;
  * zeep parses the whole envelope with the WSDL binding's operation.
Exits non-zero on the first disagreement.
"""
import copy
import pathlib
import sys

from lxml import etree
import zeep

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRATE = ROOT / "crates" / "allpay-soap"
WSDL_DIR = CRATE / "wsdl"
XS = "http://www.w3.org/2001/XMLSchema"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICES = {
    "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1": "cash-in-transaction-management-1.1.wsdl",
    "http://www.allpay.kz/mfs/soap/TransactionManagement/1.1": "transaction-management-1.1.wsdl",
}


def schema_for(wsdl_path):
    wsdl = etree.parse(str(wsdl_path))
    inline = copy.deepcopy(wsdl.find(f".//{{{XS}}}schema"))
    for imp in inline.findall(f"{{{XS}}}import"):
        imp.set("schemaLocation", (WSDL_DIR / imp.get("schemaLocation")).as_uri())
    return etree.XMLSchema(inline)


def envelope_of(snapshot):
    text = snapshot.read_text(encoding="utf-8")
    # insta header: ---\n...\n---\n<body>
    body = text.split("\n---\n", 1)[1].strip()
    return etree.fromstring(body.encode("utf-8"))


def main():
    snapshots = sorted((CRATE / "src" / "snapshots").glob("*request_*.snap"))
    if not snapshots:
        print("referee: no request snapshots found", file=sys.stderr)
        return 1
    schemas = {ns: schema_for(WSDL_DIR / name) for ns, name in SERVICES.items()}
    clients = {ns: zeep.Client(str(WSDL_DIR / name)) for ns, name in SERVICES.items()}
    for snapshot in snapshots:
        envelope = envelope_of(snapshot)
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        operation = next(iter(body))
        namespace, name = etree.QName(operation).namespace, etree.QName(operation).localname
        if namespace not in SERVICES:
            print(f"referee: {snapshot.name}: unknown service namespace {namespace}", file=sys.stderr)
            return 1
        schema = schemas[namespace]
        if not schema.validate(etree.ElementTree(copy.deepcopy(operation))):
            print(f"referee: {snapshot.name}: XSD validation failed: {schema.error_log}", file=sys.stderr)
            return 1
        client = clients[namespace]
        binding = next(iter(client.wsdl.bindings.values()))
        parsed = binding.get(name).input.deserialize(envelope)
        if parsed is None:
            print(f"referee: {snapshot.name}: zeep could not read the body", file=sys.stderr)
            return 1
        print(f"referee: {snapshot.name}: valid ({name})")
    print(f"referee: {len(snapshots)} request envelopes valid against the XSD and readable by zeep")
    return 0


if __name__ == "__main__":
    sys.exit(main())
