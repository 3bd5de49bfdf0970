"""Small real lab-report files for the integration tests (made with reportlab at test time)."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

CBC_ROWS = [
    ("Haemoglobin", "10.2", "g/dL", "13.0 - 17.0", "L"),
    ("Total Leucocyte Count", "7.8", "10^3/uL", "4.0 - 10.0", ""),
    ("Platelet Count", "250", "10^3/uL", "150 - 410", ""),
]


def lab_pdf(
    rows: list[tuple[str, str, str, str, str]] = CBC_ROWS, pages: int = 1, title: str = "Complete Blood Count"
) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(50, 800, f"City Diagnostics Laboratory - {title}")
        pdf.setFont("Helvetica", 10)
        pdf.drawString(50, 780, f"Patient: Test Person    Sample collected: 01/02/2026    Page {page + 1}")
        for x, header in zip((50, 250, 330, 420, 520), ("Test", "Result", "Unit", "Reference range", "Flag")):
            pdf.drawString(x, 750, header)
        for i, (name, value, unit, ref, flag) in enumerate(rows):
            y = 730 - 18 * i
            for x, cell in zip((50, 250, 330, 420, 520), (name, value, unit, ref, flag)):
                pdf.drawString(x, y, cell)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
