"""The demo's report: numbers and pictures on screen and in one HTML page."""

import html


class Report:
    """Sections of numbers, notes and pictures, echoed to stdout as they come.

    ``figure`` draws into a fresh :class:`matplotlib.figure.Figure` (no
    pyplot, so no GUI backend is involved) and saves it as a PNG in ``out``;
    with ``pictures=False`` it does nothing. ``write_html`` writes
    ``out/report.html``, referring to the PNGs by relative paths.
    """

    def __init__(self, out, *, pictures=True):
        self.out = out
        self.pictures = pictures
        self.sections = []

    def section(self, title):
        print(f"\n{title}")
        self.sections.append({"title": title, "rows": [], "images": [], "notes": []})

    def row(self, name, value):
        print(f"  {name}: {value}")
        self.sections[-1]["rows"].append((name, value))

    def note(self, text, echo=True):
        if echo:
            print(f"  {text}")
        self.sections[-1]["notes"].append(text)

    def figure(self, filename, caption, draw, figsize=(6, 6)):
        """Draw with ``draw(fig)`` into a new figure and save it as a PNG."""
        if not self.pictures:
            return
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout="constrained")
        draw(fig)
        fig.savefig(self.out / filename, dpi=100)
        self.sections[-1]["images"].append((filename, caption))
        print(f"  picture: {self.out / filename}")

    def write_html(self, title, footer):
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            "<style>",
            "body{font-family:sans-serif;max-width:60em;margin:2em auto;"
            "padding:0 1em;color:#222}",
            "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;"
            "border-bottom:1px solid #ccc}",
            "table{border-collapse:collapse}td{padding:.15em 1em .15em 0;"
            "vertical-align:top}td:first-child{color:#555}",
            "figure{display:inline-block;margin:.5em 1em .5em 0;"
            "vertical-align:top}img{max-width:28em;border:1px solid #ddd}",
            "figcaption{font-size:.9em;color:#555;max-width:28em}",
            ".note{font-size:.9em;color:#444}footer{margin-top:2em;"
            "font-size:.8em;color:#777}",
            "</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
        ]
        for section in self.sections:
            parts.append(f"<h2>{html.escape(section['title'])}</h2>")
            if section["rows"]:
                parts.append("<table>")
                parts += [
                    f"<tr><td>{html.escape(name)}</td>"
                    f"<td>{html.escape(str(value))}</td></tr>"
                    for name, value in section["rows"]
                ]
                parts.append("</table>")
            parts += [
                f'<p class="note">{html.escape(text)}</p>' for text in section["notes"]
            ]
            parts += [
                f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
                for name, caption in section["images"]
            ]
        parts.append(f"<footer>{html.escape(footer)}</footer></body></html>")
        path = self.out / "report.html"
        path.write_text("\n".join(parts) + "\n", encoding="utf-8")
        return path
