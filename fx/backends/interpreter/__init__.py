"""The reference backend: runs jaxprs primitive by primitive with NumPy."""
