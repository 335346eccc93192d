"""The DVC stages' entry points, one module per stage that dvc.yaml runs (`python -m stages.<name>`), each
a thin `main`: arguments, library calls (lstm_parity), writes. Nothing else lives here."""
