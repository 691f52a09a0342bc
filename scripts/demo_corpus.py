"""python -m scripts.demo_corpus: validate the demo corpus (resolvers/demo/corpus) and print
its size per language."""

from resolvers.demo.corpus import summary

print(summary())
