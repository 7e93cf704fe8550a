"""The Gherkin step library. Every phrase is listed with an example in features/README.md."""
