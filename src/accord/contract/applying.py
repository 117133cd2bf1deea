"""What `contract apply` and `roster apply` read: files and folders as lint reads them, linted
as one set with the roster in force before anything is applied."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from accord.contract.lint import lint_documents
from accord.contract.loading import Document, discover, document_of, kind_of, load_file
from accord.contract.model import Contract, Roster
from accord.errors import ContractRefused, InvalidFile, Problem


def lint_for_apply(sources: Sequence[Contract | str | os.PathLike[str]], roster: Roster | None,
                   today: dt.date) -> list[Contract]:
    """The contracts ``sources`` name (models, files, or folders of ``kind: contract`` files),
    linted as one set with ``roster``, in the order found.

    Raises InvalidFile when a file cannot be read (or a folder holds no contract) and
    ContractRefused on lint errors, listing every problem of the set either way.
    """
    docs: list[Document] = []
    unreadable: list[Problem] = []
    seen: set[Path] = set()
    for source in sources:
        if isinstance(source, Contract):
            docs.append(document_of(source))
            continue
        found, problems = _contract_files(source, seen)
        docs += found
        unreadable += problems
    findings = lint_documents(docs, roster, today)
    errors = [f.as_problem() for f in findings if f.severity == "error"]
    if unreadable:
        raise InvalidFile([*unreadable, *errors])
    if errors:
        raise ContractRefused(errors)
    return [doc.model for doc in docs if isinstance(doc.model, Contract)]


def _contract_files(source: str | os.PathLike[str], seen: set[Path]) -> tuple[list[Document], list[Problem]]:
    """The contracts ``source`` names: the file itself (which must be a contract), or each
    ``kind: contract`` file under a folder; files already in ``seen`` are skipped. Returns the
    documents read and the problems of those that could not be."""
    path = Path(source)
    if path.is_dir():
        files = [Path(f) for f in discover([str(path)]) if kind_of(Path(f)) != "roster"]
        if not files:
            return [], [Problem(str(path), 1, 1, "invalid-file", "no file of kind: contract in this "
                                "folder (searched for *.yaml and *.yml)")]
    else:
        files = [path]
    docs: list[Document] = []
    problems: list[Problem] = []
    for file in files:
        if file.resolve() in seen:
            continue
        seen.add(file.resolve())
        try:
            docs.append(document(file if path.is_dir() else source, "contract"))
        except InvalidFile as err:
            problems.extend(err.problems)
    return docs, problems


def document(source: Contract | Roster | str | os.PathLike[str], kind: str) -> Document:
    doc = document_of(source) if isinstance(source, Contract | Roster) else load_file(source)
    if doc.kind != kind:
        raise InvalidFile([Problem(doc.path, 1, 1, "invalid-file",
                                   f"kind: expected {kind}, found {doc.kind}")])
    return doc
