"""The baseline: the smallest typer app, run by the same interpreter as llmtrack."""

import typer

app = typer.Typer()


@app.command()
def hello() -> None:
    print("hello")


if __name__ == "__main__":
    app()
