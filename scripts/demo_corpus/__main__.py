"""python -m scripts.demo_corpus: validate the demo corpus and print its size per language."""

from scripts.demo_corpus import summary

print(summary())
