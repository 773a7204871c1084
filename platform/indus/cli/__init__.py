"""`indus`: a command-line client of the REST API, standard library only (it needs no Django).

It runs anywhere the platform is installed; its settings come from INDUS_URL and INDUS_TOKEN
or from the file `indus login` writes.
"""
