"""Documents of module (a): the mark book (xlsx), the record book (PDF) and the oversight
workbooks (xlsx). Each is built from rows the caller reached through the door."""
