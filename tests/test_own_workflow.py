"""The ``own`` workflow of project.yml, run as a user runs it (``spacy project run own``) in
a fresh copy of the project: a tiny graph, texts that state its facts, the tiny test encoder.
The trained pipeline has the components the graph calls for and states the facts it was taught."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from rdflib import Graph, Literal, Namespace, namespace as ns

REPO = Path(__file__).resolve().parents[1]
EX = Namespace("http://example.org/kg/")
EXO = Namespace("http://example.org/ontology/")  # project.yml's own_vocabulary
LABELS = {  # entity → rdfs:label, then skos:altLabel
    "John_Smith": ["John Smith", "Johnny Smith"],
    "Mary_Jones": ["Mary Jones"],
    "Peter_Brown": ["Peter Brown"],
    "Acme": ["Acme Corp", "Acme"],
    "Globex": ["Globex"],
    "Paris": ["Paris"],
    "London": ["London"],
    "Berlin": ["Berlin"],
    "France": ["France"],
    "Britain": ["Britain"],
    "Germany": ["Germany"],
}
LINKS = [
    ("John_Smith", "birthPlace", "Paris"), ("John_Smith", "employer", "Acme"),
    ("Mary_Jones", "birthPlace", "London"), ("Mary_Jones", "employer", "Globex"),
    ("Peter_Brown", "birthPlace", "Berlin"), ("Peter_Brown", "employer", "Acme"),
    ("Acme", "location", "Berlin"), ("Globex", "location", "London"),
    ("Paris", "country", "France"), ("London", "country", "Britain"), ("Berlin", "country", "Germany"),
]
BIRTH_DATES = {"John_Smith": "1970-05-12", "Mary_Jones": "1985-03-01", "Peter_Brown": "1990-11-23"}
TEXTS = [
    "John Smith was born in Paris.",
    "John Smith works for Acme Corp.",
    "Mary Jones was born in London.",
    "Mary Jones works for Globex.",
    "Peter Brown was born in Berlin.",
    "Peter Brown works for Acme.",
    "Paris is a city in France.",
    "London is a city in Britain.",
    "Berlin is a city in Germany.",
    "Acme Corp is based in Berlin.",
    "Globex is based in London.",
    "John Smith was born on 12 May 1970.",
    "Mary Jones was born on 1 March 1985.",
    "Peter Brown was born on 23 November 1990.",
    "Johnny Smith was born on 12 May 1970.",
    "Mary Jones, born on 1 March 1985, is a writer.",
    "Peter Brown, born on 23 November 1990, is a painter.",
    "Johnny Smith, born in Paris, works for Acme.",
    "Mary Jones, born in London, works for Globex.",
    "Peter Brown, born in Berlin on 23 November 1990, works for Acme Corp.",
    "John Smith was born in Paris on 12 May 1970.",
    "Mary Jones was born in London on 1 March 1985.",
    "Acme is based in Berlin, a city in Germany.",
    "Globex is based in London, a city in Britain.",
    "Paris, in France, is where John Smith was born.",
    "Johnny Smith works for Acme Corp, which is based in Berlin.",
    "Mary Jones works for Globex, which is based in London.",
    "Peter Brown works for Acme, which is based in Berlin.",
    "The city of Berlin is in Germany.",
    "The city of Paris is in France.",
]
# Steps enough for the tiny encoder to learn the texts by heart (each run: about 30 s).
MAX_STEPS = 100


def write_graph(path: Path, links: bool = True, literals: bool = True) -> Path:
    graph = Graph()
    for name, (label, *aliases) in LABELS.items():
        graph.add((EX[name], ns.RDFS.label, Literal(label)))
        for alias in aliases:
            graph.add((EX[name], ns.SKOS.altLabel, Literal(alias)))
    for head, predicate, tail in LINKS if links else ():
        graph.add((EX[head], EXO[predicate], EX[tail]))
    for name, date in BIRTH_DATES.items() if literals else ():
        graph.add((EX[name], EXO.birthDate, Literal(date, datatype=ns.XSD.date)))
    path.parent.mkdir(parents=True, exist_ok=True)
    graph.serialize(path, format="turtle")
    return path


def fresh_project(tmp_path: Path) -> Path:
    """What a fresh clone holds that the workflow needs: project.yml and configs/."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / "project.yml", project)
    shutil.copytree(REPO / "configs", project / "configs")
    return project


def run_own(project: Path, texts: str, kg: str, encoder: str) -> str:
    """``spacy project run own PROJECT`` with these variables; RETURNS its output."""
    command = [
        sys.executable, "-m", "spacy", "project", "run", "own", str(project), "--vars.own_texts", texts,
        "--vars.own_kg", kg, "--vars.encoder", encoder, "--vars.max_steps", str(MAX_STEPS),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(command, cwd=project.parent, env=env, capture_output=True, text=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return output


def stated(nlp, text: str) -> set:
    """The triples of the text's RDF: its document graph."""
    return {(s, p, o) for s, p, o, _ in nlp(text)._.rdf.quads((None, None, None, None))}


@pytest.mark.slow
def test_own_workflow_from_a_folder_of_txt_files_by_relative_paths(tmp_path, tiny_bert):
    """Links and literal facts: every component, and each kind of fact stated in RDF."""
    project = fresh_project(tmp_path)
    (project / "texts").mkdir()
    for i, text in enumerate(TEXTS):
        (project / "texts" / f"{i:02d}.txt").write_text(text + "\n", encoding="utf-8")
    write_graph(project / "graph.ttl")
    run_own(project, "texts", "graph.ttl", tiny_bert)
    nlp = spacy.load(project / "training" / "own" / "model-best")
    assert nlp.pipe_names == [
        "transformer", "kgx_ner", "kgx_entity_linker", "kgx_relation_classifier", "kgx_attribute_tagger", "kgx_rdf",
    ]
    assert nlp.get_pipe("kgx_entity_linker").cfg["use_kge"]
    doc = nlp("Mary Jones was born in London.")
    assert {ent.kb_id_ for ent in doc.ents} == {str(EX.Mary_Jones), str(EX.London)}
    assert (EX.Mary_Jones, EXO.birthPlace, EX.London) in stated(nlp, doc.text)
    born = Literal("1985-03-01", datatype=ns.XSD.date)
    assert (EX.Mary_Jones, EXO.birthDate, born) in stated(nlp, "Mary Jones was born on 1 March 1985.")


@pytest.mark.slow
def test_own_workflow_from_jsonl_by_absolute_paths_without_literals(tmp_path, tiny_bert):
    """A graph without literals trains no attribute tagger."""
    project = fresh_project(tmp_path)
    texts = tmp_path / "data" / "texts.jsonl"
    kg = write_graph(tmp_path / "data" / "graph.ttl", literals=False)
    texts.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    output = run_own(project, str(texts), str(kg), tiny_bert)
    assert "kgx_attribute_tagger: left out" in output
    nlp = spacy.load(project / "training" / "own" / "model-best")
    assert nlp.pipe_names == ["transformer", "kgx_ner", "kgx_entity_linker", "kgx_relation_classifier", "kgx_rdf"]
    triples = stated(nlp, "John Smith works for Acme Corp.")
    assert (EX.John_Smith, EXO.employer, EX.Acme) in triples


@pytest.mark.slow
def test_own_workflow_without_entity_facts(tmp_path, tiny_bert):
    """A graph of labels and literals only: no relation classifier, and a linker without
    KGE (there is nothing to embed), which still links."""
    project = fresh_project(tmp_path)
    (project / "texts.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    write_graph(project / "graph.ttl", links=False)
    output = run_own(project, "texts.jsonl", "graph.ttl", tiny_bert)
    assert "holds no entity-entity triples" in output and "kgx_entity_linker: use_kge = false" in output
    nlp = spacy.load(project / "training" / "own" / "model-best")
    assert nlp.pipe_names == ["transformer", "kgx_ner", "kgx_entity_linker", "kgx_attribute_tagger", "kgx_rdf"]
    assert not nlp.get_pipe("kgx_entity_linker").cfg["use_kge"]
    doc = nlp("Peter Brown was born on 23 November 1990.")
    assert [ent.kb_id_ for ent in doc.ents] == [str(EX.Peter_Brown)]
    born = Literal("1990-11-23", datatype=ns.XSD.date)
    assert (EX.Peter_Brown, EXO.birthDate, born) in stated(nlp, doc.text)
