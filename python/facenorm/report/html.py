"""A self-contained HTML report: images are written next to it, nothing is fetched from anywhere."""
import html
import os
from pathlib import Path

from .. import _core

__all__ = ["HtmlReport"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
figure{margin:0}figcaption{font-size:12px;color:#555;text-align:center}
img{border:1px solid #ccc;image-rendering:auto}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
.err{color:#b00}.ok{color:#080}
"""


class HtmlReport:
    """Collects sections; write() renders report.html atomically into out_dir."""

    def __init__(self, out_dir, title: str):
        self.out_dir = Path(out_dir)
        self.assets = self.out_dir / "assets"
        self.assets.mkdir(parents=True, exist_ok=True)
        self.title = title
        self.parts = []

    def image(self, name: str, rgb, caption: str, width: int = 256) -> str:
        """Saves an RGB image under assets/ and returns the <figure> for it."""
        path = self.assets / name
        _core.write_image(str(path), rgb)
        rel = f"assets/{name}"
        return (f'<figure><img src="{html.escape(rel)}" width="{width}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    def section(self, heading: str, body_html: str) -> None:
        self.parts.append(f"<h2>{html.escape(heading)}</h2>\n{body_html}")

    def paragraph(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    @staticmethod
    def table(rows, header=None) -> str:
        out = ["<table>"]
        if header:
            out.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
        for r in rows:
            out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>")
        out.append("</table>")
        return "".join(out)

    def write(self) -> Path:
        doc = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
               f"<style>{_STYLE}</style></head><body><h1>{html.escape(self.title)}</h1>\n"
               + "\n".join(self.parts) + "\n</body></html>\n")
        target = self.out_dir / "report.html"
        tmp = target.with_suffix(".html.partial")
        tmp.write_text(doc, encoding="utf-8")
        os.replace(tmp, target)
        return target
