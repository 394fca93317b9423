from graphrec.cli import app

app()
