"""Bank e-receipt OCR (pure: preprocess -> recognise -> parse layout -> validate). Not built yet: see the OCR issue."""
