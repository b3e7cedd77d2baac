"""Names of the files the desktop stages leave in the artifacts directory, shared by both."""

ARTIFACTS_ENV = "EDGE_DIGITS_ARTIFACTS"
MODEL_FILE = "model.keras"
REPORT_FILE = "train_report.json"
PARITY_FILE = "parity_report.json"
