"""The lxml side of `cargo xtask c14n`: one base64 document a line on stdin;
for each, one line on stdout with its four canonical forms as libxml2
writes them (inclusive, inclusive with comments, exclusive, exclusive with
comments), base64, space-separated; or `!` and the parse error.
"""
import base64
import io
import sys

from lxml import etree

MODES = [(False, False), (False, True), (True, False), (True, True)]


def main():
    parser = etree.XMLParser(resolve_entities=False, remove_blank_text=False, huge_tree=True)
    for line in sys.stdin:
        document = base64.b64decode(line.strip())
        try:
            tree = etree.parse(io.BytesIO(document), parser)
        except etree.XMLSyntaxError as error:
            print("!" + str(error).replace("\n", " "))
            continue
        forms = []
        for exclusive, comments in MODES:
            form = etree.tostring(tree, method="c14n", exclusive=exclusive, with_comments=comments)
            forms.append(base64.b64encode(form).decode("ascii"))
        print(" ".join(forms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
