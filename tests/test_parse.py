"""The answer parser on a labelled set of realistic answers, plus properties of normalisation."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cli.main import main
from harness.parse import MATCHES
from harness.parse.parser import Parser, normalise, parser_for

from parser_cases import check, load_cases

CASES = load_cases()


def test_case_set_is_big_enough():
    assert len(CASES) >= 300


@pytest.mark.parametrize("expected,text,match", CASES, ids=[f"{i}:{c[1][:40]}" for i, c in
                                                             enumerate(CASES)])
def test_labelled_answer(expected, text, match):
    got = parser_for().parse(text)
    problem = check(expected, got, match)
    assert problem is None, f"{text!r}: {problem}"


@pytest.mark.parametrize("name", ["parser_holdout.tsv", "parser_holdout2.tsv",
                                  "parser_holdout3.tsv"])
def test_hold_out_answers_stay_at_least_95_percent_right(name):
    """Answers written after the parser and never tuned on one by one: a floor, not a target."""
    cases = load_cases(Path(__file__).parent / "data" / name)
    misses = [(text, why) for exp, text, match in cases
              if (why := check(exp, parser_for().parse(text), match))]
    assert len(cases) >= 100 and len(misses) <= 0.05 * len(cases), misses


@pytest.mark.parametrize("text,label", [
    ("crane " * 200_000, "crane"),            # a shared word, disambiguated 200k times
    ("word " * 200_000 + "zebra", "zebra"),   # one compound 200k nouns long
    ("not a dog " * 100_000, None),     # every noun negated: it names nothing
    ("a husky or " * 100_000, "Eskimo dog"),
    ("a man in a hat " * 40_000 + "with a horse", "horse"),    # what a person wears, per person
    ("a dog smiling at the camera " * 20_000, "dog"),           # the viewer's side, per phrase
    ("a kid in a jacket with a ball " * 20_000, "ball"),      # wearing: senses and drops
    ("it didn't load " * 50_000 + "but here is a dog", "dog"),  # negated auxiliaries
    ("a basket full of " * 50_000 + "oranges", "orange"),     # containers
    ("points towards a dog " * 30_000, "dog"),                # conclusions
    ("a " + "glass " * 50_000 + "of water", "glass"),           # materials before containers
    ("a cannon points towards a dog. " * 16_000, "cannon"),    # literal pointing, per phrase
    ("A sunny beach with sand. A dog runs. " * 30_000, "seashore"),  # sentences: per sentence
    ("A man standing on a beach. " * 40_000, "man"),                 # a person and scenery
    ("The sky is blue. Lying on the sand is a starfish. " * 20_000, "starfish"),
])
def test_megabyte_answers_parse_in_linear_time(text, label):
    """Each of these took minutes when some step was quadratic in the answer's length."""
    assert parser_for().parse(text).label == label


def test_candidates_keep_every_named_option_in_order():
    got = parser_for().parse("It could be a husky or an Alaskan malamute")
    assert got.candidates == ["n02109961", "n02110063"]
    assert parser_for().parse("A tabby cat next to a laptop").candidates == ["n02123045"]


def test_ambiguous_shared_lemma_without_context_is_flagged():
    got = parser_for().parse("a crane")
    assert got.match == "ambiguous" and got.wnid in ("n02012849", "n03126707")


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_parse_never_crashes_and_is_lowercase_normalised(text):
    norm = normalise(text)
    assert norm == norm.lower()
    res = parser_for().parse(text)
    assert res.match in MATCHES
    assert (res.synset is None) == (res.match in ("none", "refusal"))


@given(st.sampled_from(["golden retriever", "tabby cat", "school bus", "goldfish"]),
       st.sampled_from(["**{}**", "Answer: {}", "{}.", "  {}  ", "`{}`", "{}!", "# {}",
                        "<think>hmm</think>{}", '{{"label": "{}"}}']))
def test_formatting_does_not_change_the_class(name, template):
    p = parser_for()
    assert p.parse(template.format(name)).wnid == p.parse(name).wnid is not None


def test_parse_cli_keeps_one_line_per_input(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "a", "text": "a beagle"}\n'
                    b'{"id": "b"}\n'                       # missing text
                    b'plain text line: a goldfish\n'
                    b'\n'                                  # empty line
                    b'\xff\xfe bad bytes and a tench\n'    # not UTF-8
                    + b'{"id": "big", "text": "' + b"word " * 200_000 + b'zebra"}\n')
    out = tmp_path / "out.jsonl"
    assert main(["parse", str(src), "-o", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "3", "4", "5", "big"]
    assert rows[0]["wnid"] == "n02088364" and rows[0]["match"] == "lemma"
    assert rows[1]["match"] == "none" and rows[3]["match"] == "none"
    assert rows[2]["wnid"] == "n01443537" and rows[4]["wnid"] == "n01440764"
    assert rows[5]["wnid"] == "n02391049"
    assert set(rows[0]) == {"id", "wnid", "synset", "label", "match", "candidates"}


def test_parse_cli_stdin_to_stdout():
    proc = subprocess.run([sys.executable, "-m", "harness", "parse", "-"], input="a pug\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["wnid"] == "n02110958"


# --- issue 17: answers the parser has never seen ----------------------------------------------

from parser_cases import SETS, figures, load_gold  # noqa: E402


def test_new_hold_out_set_meets_the_issue_targets():
    """tests/data/parser_holdout4.tsv, written before the parser was changed for it: class
    accuracy >= 97%, false-class rate <= 2%, synset accuracy >= 90% (issue 17)."""
    cases = load_gold("parser_holdout4.tsv")
    f = figures(cases, parser_for().parse)
    assert len(cases) >= 200 and f["n_no_class"] >= 50
    assert f["class_acc"] >= 0.97 and f["false_class"] <= 0.02 and f["synset_acc"] >= 0.90, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


def test_blind_hold_out_set_five():
    """tests/data/parser_holdout5.tsv, written blind by someone who never ran the parser (first
    run 92.0% / 6.6% / 88.0%); after the general rules of that round it stays at >= 98% class
    accuracy, <= 2% false-class (1 of 76: a kite flying on a string, left ambiguous between the
    bird class and the toy) and >= 97% synset accuracy."""
    f = figures(load_gold("parser_holdout5.tsv"), parser_for().parse)
    assert f["n"] >= 300 and f["n_no_class"] >= 70
    assert f["class_acc"] >= 0.98 and f["false_class"] <= 0.02 and f["synset_acc"] >= 0.97, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


def test_blind_hold_out_set_six():
    """tests/data/parser_holdout6.tsv, written blind like set 5 and run once before any change
    for it: 95.0% class / 3.9% false-class (3 of 76) / 92.4% synset. After the general rules of
    that round (containers and portions, conclusions, negated auxiliaries, irregular
    participles, wearing, handling verbs; tests/data/parser_rules.tsv has a variant of each)
    and a review that took back the rules that misfired elsewhere (JSON keys "main"/"animal",
    "huddled" as an animal cue, "therefore"): >= 97.5% class, <= 2% false-class, >= 96%
    synset."""
    f = figures(load_gold("parser_holdout6.tsv"), parser_for().parse)
    assert f["n"] >= 300 and f["n_no_class"] >= 70
    assert f["class_acc"] >= 0.975 and f["false_class"] <= 0.02 and f["synset_acc"] >= 0.96, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


def test_blind_hold_out_set_seven_long_answers():
    """tests/data/parser_holdout7.tsv, blind like sets 5 and 6, a third of it long (40-120 word)
    descriptions; first run 90.6% class / 10.7% false-class (9 of 84) / 85.7% synset. Its
    general rules (subject phrases, common words not respelt, denied answers naming nothing,
    participles, stop adjectives) lift it to the floors below; it stays short of the issue's
    targets (BENCHMARKS.md lists what is left)."""
    f = figures(load_gold("parser_holdout7.tsv"), parser_for().parse)
    assert f["n"] >= 350 and f["n_no_class"] >= 80
    assert f["class_acc"] >= 0.935 and f["false_class"] <= 0.1 and f["synset_acc"] >= 0.895, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


def test_blind_hold_out_set_eight():
    """tests/data/parser_holdout8.tsv, blind like sets 5-7 (27% long descriptions), run once at
    514b3a4: 83.6% class / 11.2% false-class (9 of 80) / 77.2% synset, the honest figure for
    long unseen answers, far from the issue's targets. Focus phrases ("In the middle, two zebras
    ...") lifted it to 86% but were taken back: without sentence ends in the tokens they also
    turned "a fox in the middle of the frame, a snowy field around it" into the field."""
    f = figures(load_gold("parser_holdout8.tsv"), parser_for().parse)
    assert f["n"] >= 350 and f["n_no_class"] >= 75
    assert f["class_acc"] >= 0.9 and f["false_class"] <= 0.09 and f["synset_acc"] >= 0.84, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


def test_blind_hold_out_set_ten_written_for_the_final_check():
    """tests/data/parser_holdout10.tsv, blind (35% of 40+ words, five imagined VLM styles), run
    once at 5ef7c34, after the first two rounds of sentence rules: 81.7% class / 19.3%
    false-class (23 of 119) / 73.6% synset; the session-start code (0d204d0) scored 79.2 /
    15.1 / 69.9 on it. Most of its false classes are a person doing something with a class
    object, where its writer took the person and the project's convention the object
    (BENCHMARKS.md, issue 17, fourth session)."""
    f = figures(load_gold("parser_holdout10.tsv"), parser_for().parse)
    assert f["n"] >= 400 and f["n_no_class"] >= 110
    assert f["class_acc"] >= 0.84 and f["false_class"] <= 0.165 and f["synset_acc"] >= 0.75, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


def test_blind_hold_out_set_twelve_rarer_classes():
    """tests/data/parser_holdout12.tsv, blind (435 answers, 19% of 40+ words, 364 classes, most
    outside the familiar ones), run once at 98d648d: 90.8% class / 2.6% false-class (2 of 76) /
    86.0% synset (the session-start code, 2ade383, scored 91.0 / 2.6 / 86.0)."""
    f = figures(load_gold("parser_holdout12.tsv"), parser_for().parse)
    assert f["n"] >= 430 and f["n_no_class"] >= 70
    assert f["class_acc"] >= 0.915 and f["false_class"] <= 0.04 and f["synset_acc"] >= 0.865, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


def test_blind_hold_out_set_eleven_six_vlm_styles():
    """tests/data/parser_holdout11.tsv, blind (440 answers, 20% of 40+ words, six imagined VLM
    styles; its brief stated the convention that a person using a class object is the object),
    run once at 2ade383: 88.0% class / 5.3% false-class (4 of 75) / 84.8% synset."""
    f = figures(load_gold("parser_holdout11.tsv"), parser_for().parse)
    assert f["n"] >= 430 and f["n_no_class"] >= 70
    assert f["class_acc"] >= 0.91 and f["false_class"] <= 0.05 and f["synset_acc"] >= 0.88, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


def test_blind_hold_out_set_nine_scene_first_descriptions():
    """tests/data/parser_holdout9.tsv, blind (29% of 40+ words; a third of its no-class answers
    name a person or a non-class animal amid class words), run once at 0d204d0: 81.5% class /
    16.7% false-class (21 of 126) / 76.8% synset. Sentence ends in the tokens, a first sentence
    that only sets the scene (parse/sentences.py) and a person with only scenery around them
    are what lifted it."""
    f = figures(load_gold("parser_holdout9.tsv"), parser_for().parse)
    assert f["n"] >= 480 and f["n_no_class"] >= 120
    assert f["class_acc"] >= 0.9 and f["false_class"] <= 0.105 and f["synset_acc"] >= 0.85, (
        {k: v for k, v in f.items() if k != "misses"}, f["misses"])


# Variants of hold-out 5's misses written after the rules, not taken from any labelled set: the
# rules are general when these hold too.
@pytest.mark.parametrize("text,label", [
    ("ASSISTANT: ASSISTANT:", None),                                  # chat-template residue
    ("<|im_end|><|im_start|>", None),
    ("USER: What is it? ASSISTANT: It is a tench.", "tench"),
    ("It is a bowl of consommé.", "consomme"),                        # accents folded
    ("A sugar-glazed doughnut on a plate.", "doughnut"),              # hyphenated adjective; shape
    ("A wire-haired fox terrier.", "wire-haired fox terrier"),        # hyphenated class name kept
    ("Three zebras stand near a fence.", "zebra"),                    # plural noun + verb
    ("A girl rides a unicycle.", "unicycle"),                         # -s verb before an article
    ("A siamang calls from a tree.", "siamang"),
    ("A woman in a red dress is holding an umbrella.", "umbrella"),   # what a person wears
    ("A man in a suit.", "suit"),                                     # ... unless nothing follows
    ("It looks like a wooden structure. It is a birdhouse.", "birdhouse"),  # later predicate
    ("Based on the wings, the long beak and the pouch, this is a pelican.", "pelican"),
    ("A submarine sandwich with ham and cheese.", "bomber"),           # food cues
    ("A slice of watermelon on a plate.", "watermelon"),
    ("A man grinning at the camera.", "man"),                         # the viewer's side
    ("I'm unable to view attachments.", None),
    ("Sorry, the image failed to load.", None),
    ("Object: a teapot\nBackground: a kitchen", "teapot"),            # field lines
    ("A rusty lawnmower.", "lawn mower"),                             # two-word lemma joined
    ("Muddy trainers by the door.", "running shoe"),                  # British alias
    ("Stacked on the shelf are several teapots.", "teapot"),          # inversion before a count
    ("A boxer lying on a rug.", "boxer"),                             # the dog without person cues
    ("The pitcher throws a fastball toward home plate.", "ballplayer"),  # a person under a class
])
def test_hold_out_five_rules_generalise(text, label):
    assert parser_for().parse(text).label == label


# Found by a fresh-eyes review of those rules (each failed before its fix).
@pytest.mark.parametrize("text,label", [
    ("A girl eating a banana.", "banana"),                # eaten: the fruit, not the plant
    ("A child nibbling a strawberry.", "strawberry"),
    ("A boy eats an orange.", "orange"),                  # "eats" is no noun (chow)
    ("Tabby cat: 0.82\nTiger cat: 0.11", "tabby"),        # "label: score" keeps its label
    ("Top guess: beagle\nSecond guess: basset", "beagle"),  # field values stay apart
    ("Bananas. A bunch hanging from a hook.", "banana"),  # a first word is no verb
    ("A man in a suit and tie.", "suit"),                 # worn things after worn things
    ("It is probably a wolf, although it could also be a coyote.", "wolf"),
    ("A rose-bed.", "rose bed"),                          # nouns in -ed stay hyphenated
])
def test_review_cases(text, label):
    assert parser_for().parse(text).label == label


def test_person_cues_overrule_a_rarer_class_sense():
    """"boxer"'s most frequent sense is the fighter: with gloves and punches it is not the dog."""
    for text in ("A boxer in gloves throwing a punch.", "A boxer throwing a punch at his rival."):
        assert parser_for().parse(text).wnid != "n02108089", text


def test_food_sense_keeps_the_class_without_cues():
    """Food beside a plant or an animal is a new kind of sense conflict; without a cue word the
    default sense stays and nothing turns ambiguous ("a banana", "a lemon on a table")."""
    for text in ("A banana.", "A lemon on a table.", "A corn in the grass, possibly a matchstick."):
        got = parser_for().parse(text)
        assert got.match == "lemma" and got.wnid is not None, (text, got)


@pytest.mark.parametrize("name", SETS[:4])
def test_older_sets_keep_their_three_figures(name):
    """The floors the older sets had when issue 17 began (BENCHMARKS.md): none regresses."""
    floor = {"parser_cases.tsv": 1.0, "parser_holdout.tsv": 0.98, "parser_holdout2.tsv": 1.0,
             "parser_holdout3.tsv": 0.98}[name]
    f = figures(load_gold(name), parser_for().parse)
    assert f["class_acc"] >= floor - 1e-9 and f["synset_acc"] >= floor - 1e-9, f["misses"]
    assert f["false_class"] == 0, f["misses"]


@pytest.mark.parametrize("text", ["no idea", "Sorry, I can't help with that.",
                                  "insufficient information", "I don't know.",
                                  "As an AI language model, I cannot view images.",
                                  "Hello! How can I help you today?", "Lorem ipsum dolor sit amet"])
def test_refusals_name_nothing_and_say_so(text):
    got = parser_for().parse(text)
    assert (got.wnid, got.synset, got.match) == (None, None, "refusal")


def test_abstract_nouns_are_not_what_a_photo_shows():
    got = parser_for().parse("It is an idea about freedom and information.")
    assert got.synset is None and got.match == "none"
    # ... but a hedge does not hide a real answer
    assert parser_for().parse("I'm not sure, but it might be a beagle.").label == "beagle"


@pytest.mark.parametrize("text,wnid,synset", [
    ("A mouse eating cheese.", None, "n02330245"),          # the animal, not the class
    ("A wireless mouse next to a laptop.", "n03793489", "n03793489"),
    ("A jaguar car.", None, "n02958343"),                    # a car
    ("A black Labrador.", "n02099712", "n02099712"),         # the dog, not the region
    ("A crane standing in shallow water on one leg.", "n02012849", "n02012849"),
    ("a kite (bird of prey)", "n01608432", "n01608432"),     # hypernym words of the sense
])
def test_context_decides_the_sense_not_the_label_space(text, wnid, synset):
    got = parser_for().parse(text)
    assert (got.wnid, got.synset) == (wnid, synset) and got.match != "ambiguous"


def test_a_class_sense_without_deciding_context_is_ambiguous_and_lists_the_other():
    got = parser_for().parse("A kite flying over a beach.")
    assert got.match == "ambiguous" and got.candidates == ["n01608432", "n03621473"]
    assert parser_for().parse("a mouse").match == "ambiguous"


@pytest.mark.parametrize("text,label", [
    ("Next to a keyboard, a small Persian cat is resting.", "Persian cat"),
    ("Behind the sofa, a tabby cat is hiding.", "tabby"),
    ("On the table sits a teapot.", "teapot"),
    ("Sitting on a fence is a small goldfinch.", "goldfinch"),
    ("On the kitchen counter, next to the toaster, there is a glass vase.", "vase"),
    ("Spotted hyena resting in the grass.", "hyena"),  # a participle that starts a lemma
    ("Perched on a branch, a great horned owl stares at the camera.", "horned owl"),
])
def test_a_fronted_phrase_is_not_the_subject(text, label):
    assert parser_for().parse(text).label == label


def test_irregular_plural_filed_under_a_hypernym_means_its_singular():
    assert parser_for().parse("A pair of oxen pulling a cart.").label == "ox"


def test_list_items_are_alternatives_in_order():
    got = parser_for().parse("- hen\n- rooster")
    assert got.label == "hen" and got.candidates == ["n01514859", "n01514668"]


@pytest.mark.parametrize("text", ["a" * 1_000_000, "goldfish" * 125_000, "qwxz" * 250_000,
                                  "The answer: " + "zebras" * 50_000 + " and a goldfish"])
def test_megabyte_tokens_parse_in_under_a_second(text):
    """Spelling correction is capped per token (longer than any class word + 1: never tried) and
    per answer (64 unseen tokens): a 300K-char token once took 60 s and 30K letters 1.1 GB."""
    import time

    parser = Parser()
    t0 = time.perf_counter()
    parser.parse(text)
    assert time.perf_counter() - t0 < 1.0


def test_parser_construction_leaves_the_garbage_collector_alone():
    import gc

    before = gc.get_freeze_count()
    Parser()
    assert gc.get_freeze_count() == before


def test_one_parser_per_label_space_whoever_asks():
    from harness.tasks.labels import parser_for_space
    from harness.wordnet.graph import custom_space, label_space

    assert parser_for("imagenet-1k") is parser_for(label_space("imagenet-1k")) is \
        parser_for_space(label_space("imagenet-1k"))
    wnids = label_space("imagenet-1k").wnids[:10]
    assert parser_for_space(custom_space("ten", wnids)) is parser_for(custom_space("x", wnids))
    assert parser_for(custom_space("ten", wnids)) is not parser_for()


def test_explain_says_which_rule_gave_the_result():
    res, steps = parser_for().explain("Behind the sofa, a mouse eating cheese.")
    assert res == parser_for().parse("Behind the sofa, a mouse eating cheese.")
    rules = [(s["step"], s["rule"]) for s in steps]
    context = next(s for s in steps if s["step"] == "context")
    assert context["rule"].startswith("animal_cues") and context["cues"] == ["eating"]
    assert any(step == "fronted" for step, _ in rules)
    assert steps[-1]["step"] == "subject" and steps[-1]["synset"] == res.synset
    _, steps = parser_for().explain("no idea")
    assert steps[-1]["step"] == "refusal" and "no idea" in steps[-1]["rule"]


def test_tables_are_cached_on_disk_and_rebuilt_when_unreadable(tmp_path, monkeypatch):
    from harness.parse import lemmas
    from harness.wordnet.graph import label_space

    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))
    monkeypatch.setattr(lemmas, "_TABLES", {})
    space = label_space("imagenet-a-200")
    built = lemmas.tables_for(space)
    files = list((tmp_path / "tables").glob("parser-*.marshal"))
    assert len(files) == 1
    monkeypatch.setattr(lemmas, "_TABLES", {})
    assert lemmas.tables_for(space) == built          # read back from the file
    files[0].write_bytes(b"not marshal data")
    monkeypatch.setattr(lemmas, "_TABLES", {})
    assert lemmas.tables_for(space) == built          # rebuilt, not crashed


def test_a_stream_of_megabyte_answers_does_not_fill_memory():
    """Each distinct 1 MB answer used to stay in three caches (the text, its token, its forms)."""
    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    parser = Parser()
    parser.parse("a tabby cat")
    before = rss_mb()
    for k in range(150):
        text = "ice " + chr(97 + k % 26) * 1_000_000 + f" {k} a goldfish"
        assert parser.parse(text).label == "goldfish"
    assert rss_mb() - before < 100


def test_explain_names_the_same_rule_under_any_hash_seed():
    """The refusal cue explain quotes comes from rules.json in file order, not from a set whose
    order changes from one process to the next."""
    import os
    import subprocess
    import sys

    code = ("from harness.parse import Parser; import json; "
            "print(json.dumps(Parser().explain('Sorry, I am unable to identify the object.')[1]))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("0", "1", "2", "3")}
    assert len(outs) == 1 and "refusal_cues" in outs.pop()


def test_fast_tokenizer_equals_normalise_and_the_token_pattern():
    """lexicon.tokenize skips normalise for plain answers; it must give exactly the tokens the
    slow path gives, on every labelled answer, realistic benchmark answers and edge cases."""
    import sys as _sys
    from pathlib import Path as _Path

    from harness.parse.lexicon import TOKEN_RE, normalise, tokenize

    _sys.path.insert(0, str(_Path(__file__).resolve().parents[1] / "benchmarks"))
    from answers import answers

    texts = [g.text for name in SETS for g in load_gold(name)]
    texts += [t for _, t in answers(3000)]
    texts += ["A close-up of a dog.", "Answer - tabby cat", "answer-dog", "-a bullet",
              "A chocolate-glazed donut.", "An otter-like tail, a mink.", "3-legged stool",
              "Close-up: a tick", "A T-shirt, a jersey.", "It's a cat-like fox.", "x-ray film",
              "A rose-bed.", "well-known dog", "prediction - a mug", "A high-speed train!",
              "A St. Bernard. It drools.", "A cat.  Two dogs.", "A cat. 'Nice' dog.",
              "e.g. A cat", "It is a U.S. Army truck. Nice.", "A scorpion . The sand.",
              "St . Bernard", "A cat.. A dog", "Mr. Smith's dog. A beagle.", "1. A cat. 2. A dog"]
    for text in texts:
        assert tokenize(text) == TOKEN_RE.findall(normalise(text)), text


def test_spelling_correction_leaves_real_words_alone():
    """Common words WordNet lists as adjectives, verbs or adverbs are no misspelt class names
    (each was "corrected" before: another -> panther, certain -> curtain, broader -> roader),
    while one-edit misspellings of class words still are, rare real words included ("envelop"
    is more often a misspelt envelope than the verb)."""
    parser = parser_for()
    for word in ("another", "certain", "broader", "though"):
        assert parser._correct(word) is None, word
    for typo, fixed in (("dalmation", "dalmatian"), ("expresso", "espresso"),
                        ("gorrilla", "gorilla"), ("saxaphone", "saxophone"),
                        ("envelop", "envelope"), ("radiater", "radiator"),
                        ("retreiver", "retriever")):
        assert parser._correct(typo) == fixed, typo
    assert parser_for().parse("Another dog in a field.").label == "dog"
    assert parser_for().parse("An envelop on a desk.").label == "envelope"
