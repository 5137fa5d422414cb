from llmtrack.cli import main

main()
