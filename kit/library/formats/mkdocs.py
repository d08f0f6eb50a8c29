"""stub"""
from kit.library.formats.base import SourceFormat

FORMAT = SourceFormat()
