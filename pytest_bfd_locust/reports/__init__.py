"""What does a person see? Everything that shows a verdict: the report model, terminal text,
history rows, HTML and its charts, Markdown, JUnit detail, and the session's report files."""
