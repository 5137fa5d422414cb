"""The baseline: typer's hello world, one option as its tutorial writes it, run by the same
interpreter as llmtrack. (A command with parameters makes typer load its pydantic-backed
parameter coercion; a command with none never does, and would not be a fair baseline.)"""

import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    print(f"hello {name}")


if __name__ == "__main__":
    app()
