"""Rendering helpers for the Streamlit pages: no business logic, only how things look."""
