"""Several sources read one after the other as one: a cluster or manifests, then --host-data.

Host-sensor and cloud objects (KubeletInfo, ClusterDescribe, ...) are not served by the API
server; kubescape collects them separately. Owns only the chaining; each source reads itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.sources import Page, Source, SourceProblem


class ChainedSource(Source):
    def __init__(self, sources: list[Source]) -> None:
        self._sources = sources
        self.description = " + ".join(s.description for s in sources)
        self.problems: list[SourceProblem] = []

    def pages(self) -> Iterator[Page]:
        for source in self._sources:
            yield from source.pages()
            # Each source's problems become known while it is read: passed on as soon as it ends.
            self.problems.extend(source.problems)
