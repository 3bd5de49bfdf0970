"""Medical report analysis as plain modules (no Django): validation, text extraction, lab parsing, narrative.

Entry point: `reports.analysis.service.analyze_document(data, filename, narrator=None)`.
"""
