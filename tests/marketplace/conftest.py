import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

CLEAN_CSV = b"city,year,pm25\nLisbon,2024,11.2\nPorto,2024,9.8\nFaro,2024,7.1\n"


@pytest.fixture
def csv_file():
    def make(content: bytes = CLEAN_CSV, name: str = "air.csv") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, content, content_type="text/csv")

    return make
