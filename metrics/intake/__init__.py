"""The intake: every uploaded file, from its bytes to the monthly figures it gives.

An upload is made once per file (metrics.intake.upload.Upload: name, bytes, digest, the opened workbook and
the first look's samples), checked for safety, recognised and read by the reader that knows it best, and
handed to the store with its digest.
"""

from metrics.intake.upload import FileDigest, Upload

__all__ = ["FileDigest", "Upload"]
