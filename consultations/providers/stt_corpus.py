"""Generates the sentence corpus behind the embedded recogniser's domain language model.

Run ``python -m consultations.providers.stt_corpus`` to rewrite ``data/stt_corpus.txt``.
The corpus is what patients say in a symptom intake: complaints, where and how it hurts,
since when, severity, history, medication, allergies, yes/no and number answers, and the
red-flag phrases the safety engine listens for. Templates are deliberately broad (many
openers, frames and slot fillers, sampled at random) so the trigram model learns the
*shape* of intake speech and backs off gracefully on sentences it has never seen, rather
than memorising a fixed list.

Templates only know the phrasings someone thought to template. ``data/stt_phrasebook.txt`` adds
about 3,000 spoken utterances written one by one (by a separate AI writer) across twelve kinds
of intake talk (openings, lay complaints, narratives, answers, questions to the assistant,
emergencies...), in British and American wording; they follow the templated sentences in the
corpus file. The writer never saw the benchmark's sentences, and a test keeps every one of them
out of the corpus.

Every word must be in pocketsphinx's en-US dictionary or in ``data/stt_extra.dict``;
``check_vocabulary`` enforces that.
"""

from __future__ import annotations

import functools
import json
import random
import re
import re._constants as sre_constants  # the regex parser turns the intake lexicon into plain phrases
import re._parser as sre_parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
CORPUS_PATH = DATA_DIR / "stt_corpus.txt"
EXTRA_DICT_PATH = DATA_DIR / "stt_extra.dict"
PHRASEBOOK_PATH = DATA_DIR / "stt_phrasebook.txt"
LEXICON_PATH = Path(__file__).resolve().parents[1] / "intake" / "data" / "lexicon.json"
PHRASES_PER_PATTERN = 6

SENTENCE_COUNT = 32000
SEED = 20250401

# fmt: off
UNITS = "one two three four five six seven eight nine ten".split()
TEENS = "eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()

SYMPTOMS = [
    "chest pain", "a headache", "a bad headache", "headaches", "a migraine", "migraines", "a fever",
    "a high fever", "a temperature", "a cough", "a dry cough", "a bad cough", "a sore throat",
    "shortness of breath", "trouble breathing", "nausea", "diarrhea", "constipation", "heartburn",
    "a rash", "an itchy rash", "back pain", "lower back pain", "stomach pain", "abdominal pain",
    "belly pain", "stomach cramps", "cramps", "a runny nose", "a stuffy nose", "a blocked nose",
    "congestion", "muscle aches", "body aches", "joint pain", "neck pain", "knee pain", "hip pain",
    "shoulder pain", "blurred vision", "double vision", "an earache", "ear pain", "a toothache",
    "chills", "night sweats", "dizziness", "palpitations", "swelling", "numbness", "tingling",
    "weakness", "fatigue", "no energy", "no appetite", "a loss of appetite", "weight loss",
    "bloating", "gas", "indigestion", "a burning feeling when i pee", "pain when i pee",
    "blood in my urine", "blood in my stool", "a nosebleed", "a lump", "a bump", "wheezing",
    "a tight chest", "pressure in my chest", "a racing heart", "anxiety", "panic attacks",
    "trouble sleeping", "insomnia", "a cold", "the flu", "sinus pain", "a sinus infection",
    "an ear infection", "a urinary tract infection", "a bladder infection", "a yeast infection",
    "a skin infection", "hives", "itching", "dry skin", "a cut", "a burn", "a bruise", "a sprain",
    "vomiting", "nausea and vomiting", "a cough and a fever", "a sore throat and a fever",
    "a headache and a fever", "chest pain and shortness of breath", "pain in my side",
    "pain in my chest", "pain in my back", "pain in my stomach", "pain in my leg", "pain in my arm",
    "a stiff neck", "jaw pain", "eye pain", "red eyes", "itchy eyes", "watery eyes", "a pink eye",
    "swollen glands", "swollen ankles", "a swollen leg", "leg cramps", "heavy periods",
    "irregular periods", "period pain", "pelvic pain", "discharge", "mouth ulcers",
    "a bad taste in my mouth", "bad breath", "hair loss", "memory problems", "confusion",
    "ringing in my ears", "a covid infection", "covid",
]
FEELINGS = [
    "dizzy", "sick", "tired", "weak", "nauseous", "lightheaded", "faint", "feverish", "hot",
    "cold", "shaky", "anxious", "depressed", "down", "stressed", "exhausted", "unwell", "awful",
    "terrible", "a bit better", "worse", "confused", "short of breath", "out of breath",
    "sick to my stomach", "run down", "off", "bloated", "achy", "sore", "itchy", "numb",
    "really tired", "very weak", "very dizzy", "a little dizzy", "really sick", "really anxious",
]
BODY_PARTS = [
    "head", "chest", "back", "lower back", "upper back", "stomach", "belly", "abdomen", "throat",
    "neck", "left arm", "right arm", "arm", "arms", "left leg", "right leg", "leg", "legs", "knee",
    "knees", "left knee", "right knee", "ankle", "ankles", "foot", "feet", "hand", "hands",
    "wrist", "fingers", "toes", "shoulder", "left shoulder", "right shoulder", "shoulders", "jaw",
    "ear", "ears", "eye", "eyes", "nose", "mouth", "teeth", "tooth", "side", "left side",
    "right side", "hip", "hips", "groin", "pelvis", "bladder", "kidneys", "ribs", "heart",
    "lungs", "skin", "face", "forehead", "temple", "elbow", "thigh", "calf", "heel", "spine",
    "tailbone", "bottom", "lips", "tongue", "gums", "sinuses",
]
HURTS = [
    "hurts", "is sore", "is swollen", "aches", "is painful", "is tender", "feels numb",
    "feels tight", "feels weak", "is killing me", "is bothering me", "is stiff", "is red",
    "is itchy", "is burning", "is throbbing", "feels heavy", "feels tingly", "is bleeding",
    "has been hurting", "has been aching", "keeps hurting", "really hurts", "hurts a lot",
    "hurts a little",
]
QUALITIES = [
    "sharp", "dull", "burning", "throbbing", "stabbing", "aching", "crushing", "squeezing",
    "shooting", "cramping", "constant", "mild", "severe", "bad", "terrible", "awful", "strange",
    "pounding", "tight", "heavy", "gnawing", "searing", "intense", "nagging", "sudden",
]
WHEN = [
    "yesterday", "this morning", "last night", "today", "two days ago", "three days ago",
    "a few days ago", "a couple of days ago", "last week", "a week ago", "two weeks ago",
    "a month ago", "a few weeks ago", "on monday", "on tuesday", "on wednesday", "on thursday",
    "on friday", "on saturday", "on sunday", "over the weekend", "suddenly", "out of nowhere",
    "after dinner", "after lunch", "after breakfast", "after i ate", "after i exercised",
    "at work", "at night", "when i woke up", "an hour ago", "a few hours ago", "about an hour ago",
    "earlier today", "this afternoon", "this evening", "last month", "a long time ago",
    "about a year ago", "after my surgery", "after i fell", "after the accident",
]
ACTIVITIES = [
    "walk", "run", "move", "breathe", "breathe in", "take a deep breath", "cough", "sneeze",
    "eat", "drink", "swallow", "lie down", "sit down", "stand up", "bend over", "climb stairs",
    "go up the stairs", "lift something", "exercise", "sleep", "turn my head", "move my arm",
    "move my neck", "press on it", "touch it", "pee", "go to the bathroom", "rest", "sit still",
    "take painkillers", "use my inhaler", "put ice on it", "put heat on it", "drink water",
    "raise my arm", "put weight on it", "walk on it", "bend my knee", "lie on my back",
    "lie on my side", "get up in the morning", "eat something spicy", "eat fatty food",
]
MEDICATIONS = [
    "ibuprofen", "tylenol", "advil", "aspirin", "paracetamol", "acetaminophen", "insulin",
    "metformin", "lisinopril", "albuterol", "an inhaler", "antibiotics", "amoxicillin",
    "blood thinners", "warfarin", "a statin", "statins", "birth control", "the pill",
    "antidepressants", "sleeping pills", "vitamins", "allergy pills", "claritin", "benadryl",
    "motrin", "aleve", "naproxen", "prednisone", "steroids", "omeprazole", "antacids",
    "water pills", "blood pressure pills", "blood pressure medicine", "thyroid medicine",
    "heart medicine", "pain medicine", "cough medicine", "cold medicine", "eye drops",
    "nasal spray", "nitroglycerin", "gabapentin", "sertraline", "levothyroxine",
    "cough syrup", "antihistamines", "painkillers", "morphine", "codeine", "penicillin",
]
CONDITIONS = [
    "diabetes", "type two diabetes", "type one diabetes", "high blood pressure",
    "low blood pressure", "high cholesterol", "asthma", "copd", "heart disease",
    "heart failure", "a heart condition", "an irregular heartbeat", "atrial fibrillation",
    "arthritis", "epilepsy", "seizures", "migraines", "depression", "anxiety", "cancer",
    "kidney disease", "liver disease", "thyroid problems", "an underactive thyroid", "eczema",
    "psoriasis", "acid reflux", "ulcers", "a stomach ulcer", "sleep apnea", "anemia", "gout",
    "osteoporosis", "a bad back", "allergies", "hay fever", "a blood clot", "had a stroke",
    "had a heart attack", "had covid", "had surgery", "had my appendix out", "had a c section",
    "an autoimmune disease", "lupus", "crohn's disease", "celiac disease", "hiv", "hepatitis",
]
ALLERGENS = [
    "penicillin", "amoxicillin", "aspirin", "ibuprofen", "codeine", "morphine", "sulfa drugs",
    "antibiotics", "peanuts", "nuts", "shellfish", "eggs", "milk", "latex", "bee stings",
    "cats", "dogs", "pollen", "dust", "grass", "some medicines", "iodine", "seafood", "wheat",
]
RELATIVES = [
    "mother", "mom", "father", "dad", "brother", "sister", "grandmother", "grandfather",
    "grandma", "grandpa", "son", "daughter", "husband", "wife", "partner", "uncle", "aunt",
    "whole family", "parents", "kids", "baby", "children",
]
OPENERS = [
    "", "", "", "", "", "", "", "", "well ", "so ", "yeah ", "okay ", "actually ", "i think ",
    "basically ", "honestly ", "yes ", "no ", "right now ", "lately ", "hi ", "hello ",
    "to be honest ", "i guess ", "also ", "and ", "but ", "the problem is ", "i'm worried because ",
    "i'm calling because ", "i just wanted to say ", "the reason i'm here is ",
]
TAILS = [
    "", "", "", "", "", " and it's getting worse", " and it won't go away", " and i'm worried",
    " and it comes and goes", " but it's getting better", " and it's really bad",
    " and it's not getting better", " and it keeps coming back", " on and off",
    " most of the time", " all the time", " every day", " every night", " at night",
    " in the morning", " after i eat", " when i wake up", " and i can't sleep",
    " and i don't know why", " and i'm scared", " and it's bothering me", " too",
    " as well", " again", " really badly", " a little", " a lot", " right now",
]
EMERGENCIES = [
    "i can't breathe", "i can barely breathe", "i can't catch my breath", "i'm struggling to breathe",
    "i think i'm having a heart attack", "i think i'm having a stroke", "my face is drooping",
    "one side of my face is numb", "my face feels numb on one side", "i can't move my arm",
    "i can't move my left arm", "i can't move one side of my body", "my speech is slurred",
    "i can't speak properly", "i can't get my words out", "i have crushing chest pain",
    "the pain is crushing my chest", "it feels like an elephant on my chest",
    "the pain is spreading to my jaw", "the pain goes down my left arm",
    "it's the worst headache of my life", "it's the worst headache i've ever had",
    "i'm coughing up blood", "i'm vomiting blood", "i passed out", "i fainted",
    "i blacked out", "i keep passing out", "i feel like i'm going to pass out",
    "i had a seizure", "my lips are turning blue", "my lips are blue", "my throat is closing up",
    "my tongue is swollen", "i can't swallow", "i took too many pills", "i took an overdose",
    "i want to kill myself", "i want to end my life", "i'm thinking about killing myself",
    "i've been thinking about suicide", "i want to hurt myself", "i don't want to live anymore",
    "i have thoughts of hurting myself", "i'm bleeding a lot", "the bleeding won't stop",
    "i'm bleeding heavily", "i hit my head and now i'm confused", "i'm very confused",
    "i can't stay awake", "i have a stiff neck and a high fever", "my baby isn't moving",
    "i'm pregnant and i'm bleeding", "i'm having really bad chest pain",
    "my heart is racing and i feel faint", "i suddenly can't see", "i lost my vision",
    "i have sudden weakness in my leg", "i was stung and my face is swelling",
    "my child is not breathing properly", "he's not responding", "she's not waking up",
]
ANSWERS = [
    "yes", "no", "yeah", "nope", "yes i do", "no i don't", "yes i have", "no i haven't",
    "yes it does", "no it doesn't", "yes it is", "no it isn't", "yes i am", "no i'm not",
    "yes i did", "no i didn't", "i'm not sure", "i don't know", "i don't think so", "i think so",
    "maybe", "probably", "not really", "a little bit", "sometimes", "all the time", "not at all",
    "definitely", "of course", "that's right", "that's correct", "exactly", "kind of",
    "sort of", "i guess so", "not that i know of", "none", "nothing", "nothing else",
    "that's it", "that's all", "that's everything", "i think that's everything", "okay",
    "alright", "sure", "thank you", "thanks", "thank you very much", "okay thank you",
    "can you repeat that", "sorry what did you say", "sorry i didn't catch that",
    "what do you mean", "could you say that again", "goodbye", "bye", "hello", "hi",
    "good morning", "good afternoon", "no allergies", "no known allergies",
    "i don't have any allergies", "i'm not allergic to anything", "i don't take anything",
    "i'm not on any medication", "i don't take any medicine", "no medications",
    "i don't smoke", "i used to smoke", "i quit smoking", "i smoke", "i don't drink",
    "i drink socially", "i drink a few beers on the weekend", "i'm not pregnant",
    "i might be pregnant", "i'm pregnant", "no fever", "no chest pain", "no vomiting",
    "it's gotten better", "it's gotten worse", "it's about the same", "it's constant",
    "it comes and goes", "it's on and off", "it's sharp", "it's dull", "it's both sides",
    "only on the left", "only on the right", "on the left side", "on the right side",
    "in the middle", "all over",
]
QUESTIONS = [
    "what should i do", "should i go to the hospital", "should i go to the emergency room",
    "is it serious", "is this serious", "is it something bad", "do i need to see a doctor",
    "do i need antibiotics", "how long will it last", "what could it be",
    "can i take {med}", "should i take {med}", "is it okay to take {med}",
    "how much {med} can i take", "do i need to go to the emergency room",
    "should i call an ambulance", "can i go to work", "is it contagious",
    "when should i see a doctor", "what can i do to feel better", "can you help me",
    "will it go away on its own", "should i be worried", "do i need a test",
    "do i need an x ray", "do i need blood tests",
]
SUBJECTS = [
    "i", "my {rel}", "my doctor", "the doctor", "the nurse", "the pharmacist", "the pain",
    "the medicine", "the cough", "the rash", "the swelling", "the fever", "the headache",
    "the bleeding", "the itching", "the nausea", "it", "that", "everything", "nothing",
]
EVENTS = [
    "went to the doctor", "went to the emergency room", "went to urgent care",
    "gave me antibiotics", "gave me some pills", "gave me a cream", "told me to rest",
    "told me to come back if it got worse", "said it was a virus", "said it was nothing serious",
    "didn't help", "helped a little", "helped for a while", "isn't helping", "is not working",
    "keeps me up at night", "woke me up", "woke me up last night", "won't go away",
    "comes and goes", "came back", "went away and came back", "started after i ate",
    "is getting worse", "is getting better", "has gotten worse", "has gotten better",
    "was really bad last night", "is worse than usual", "is the same as usual",
    "is not as bad as before", "hasn't changed", "changed a lot", "keeps getting worse",
    "started suddenly", "started slowly", "happens every day", "happens at night",
    "happens when i wake up", "happens after i eat", "happens when i work",
    "makes it hard to sleep", "makes it hard to walk", "makes it hard to work",
    "makes me feel sick", "makes me tired", "stops me from working", "gets in the way",
    "feels different this time", "has never happened before", "happened once before",
    "happened twice before", "runs in my family", "was checked last year",
]
EVERYDAY = [
    "working", "driving", "playing football", "playing soccer", "playing tennis",
    "playing with my kids", "running", "jogging", "cooking", "cleaning the house",
    "lifting weights", "at the gym", "gardening", "shopping", "reading", "typing",
    "walking the dog", "carrying my shopping", "climbing a ladder", "sleeping", "eating",
    "drinking coffee", "drinking alcohol", "traveling", "on a long flight", "at school",
    "at home", "in bed", "on the computer", "looking at screens", "in the car", "outside",
    "in the cold", "in the heat", "in the sun", "at the beach", "on holiday", "on vacation",
]
INJURIES = [
    "i fell off my bike", "i slipped on the ice", "i slipped in the shower", "i fell down the stairs",
    "i hit my head", "i bumped my head", "i cut my finger", "i cut my hand", "i burned my hand",
    "i sprained my ankle", "i twisted my knee", "i pulled a muscle", "i hurt my back lifting",
    "i got hit in the face", "i was in a car accident", "i was bitten by a dog",
    "i was stung by a bee", "i got something in my eye", "i stepped on a nail",
    "i fell at work", "i fell playing football", "i hurt myself at the gym",
    "i tripped and fell", "i landed on my wrist", "i think i broke my arm",
    "i think i broke my toe", "i think i broke my finger", "i think it might be broken",
]
GUT = [
    "i threw up", "i've been throwing up", "i keep throwing up", "i've thrown up {n} times",
    "i threw up {freq}", "i can't keep anything down", "i can't keep food down",
    "i can't keep water down", "i haven't eaten {when}", "i haven't been eating much",
    "i lost my appetite", "i'm not hungry", "i have no appetite", "i've been going to the toilet a lot",
    "i keep going to the bathroom", "i have to pee all the time", "i'm always thirsty",
    "i've lost weight", "i've put on weight", "i've lost {n} pounds", "i've gained {n} pounds",
]
FREQUENCY = [
    "once", "twice", "three times", "a few times", "several times", "once a day", "twice a day",
    "three times a day", "every day", "every night", "every morning", "once a week",
    "a few times a week", "every time i eat", "every few hours", "every hour", "all day long",
    "most days", "almost every day", "now and then", "once in a while", "more than usual",
    "less than usual", "as usual", "more often", "less often", "always", "never", "usually",
    "sometimes", "often", "rarely",
]
ONGOING = [
    "coughing", "sneezing", "sweating", "shaking", "shivering", "vomiting", "throwing up",
    "bleeding", "wheezing", "itching", "scratching", "crying", "limping", "struggling to breathe",
    "coughing up blood", "coughing up phlegm", "coughing up mucus", "coughing up green stuff",
    "bringing up phlegm", "going to the toilet a lot", "peeing a lot", "waking up at night",
    "sleeping badly", "sleeping a lot", "losing weight", "losing my balance", "falling over",
    "forgetting things", "getting headaches", "getting chest pains",
    "getting cramps", "feeling sick", "feeling faint", "feeling tired", "feeling low",
    "having trouble swallowing", "having trouble walking", "having trouble seeing",
    "having panic attacks", "having hot flushes", "hearing ringing in my ears",
]
CHANGES = [
    "keeps going numb", "keeps swelling up", "keeps locking", "keeps clicking", "keeps giving way",
    "keeps twitching", "keeps cramping", "keeps bleeding", "is going numb", "is turning red",
    "is turning blue", "is turning purple", "looks yellow", "looks red and swollen", "looks infected",
    "feels hot to touch", "feels cold", "feels stiff in the morning", "is getting bigger",
    "is getting worse", "is leaking", "is oozing", "won't stop bleeding", "won't stop itching",
    "has a lump", "has a rash", "has gone numb", "has swollen up", "gave way", "locked up",
]
SIMILES = [
    "a knife", "a knife stabbing me", "pins and needles", "something is stuck in my throat",
    "something is sitting on my chest", "a tight band around my head", "my head is going to explode",
    "burning", "an electric shock", "a pulled muscle", "the flu", "a bad cold", "indigestion",
    "a heart attack", "i'm going to faint", "i'm going to be sick", "the room is spinning",
    "my heart is pounding", "my heart is racing", "my heart is skipping beats", "i can't get enough air",
    "pressure", "a cramp", "a bruise", "a bee sting", "sandpaper", "there's water in my ear",
]
CARERS = [
    "my son", "my daughter", "my little boy", "my little girl", "my baby", "my husband", "my wife",
    "my mum", "my dad", "my mother", "my father", "my partner", "he", "she",
]
BODY_STATES = [
    "dark", "cloudy", "smelly", "blurry", "blurred", "dry", "yellow", "pale", "red", "itchy", "swollen",
    "strange", "slurred", "weird", "different", "worse", "better", "not right", "off", "runny", "blocked",
    "sore", "tender", "warm", "hot", "cold", "numb", "stiff", "weak", "bruised", "bleeding", "crusty",
]
BODY_THINGS = [
    "urine", "pee", "poo", "stool", "vision", "eyesight", "speech", "voice", "skin", "mouth", "breath",
    "breathing", "nose", "sleep", "appetite", "memory", "temperature", "period", "periods", "face", "eye",
]
TREATMENT_EFFECTS = [
    "it helped a bit", "it helped a little", "it didn't help", "it didn't really help",
    "it didn't make any difference", "it made no difference", "it helped for a few hours", "it wore off",
    "it made it worse", "nothing seems to help", "it works for a while", "it takes the edge off",
]
OTHERS = [
    "no other problems", "i don't have any other problems", "no other symptoms", "nothing else i can think of",
    "no other medical conditions", "i don't have any other medical problems", "i'm otherwise fit and well",
    "i'm usually healthy", "i don't take any regular medication", "i don't take any regular medicine",
    "i haven't taken anything", "i haven't taken anything for it", "i've run out of my tablets",
]
# The commonest prescriptions and over-the-counter names on both sides of the Atlantic. Each is said
# in every MEDICINE_FRAMES frame, after the sampled sentences: a name heard once in a random draw
# (or never) would be a word the recogniser all but cannot hear.
NAMED_MEDICINES = [
    "atorvastatin", "simvastatin", "lipitor", "amlodipine", "ramipril", "losartan", "bisoprolol",
    "metoprolol", "atenolol", "propranolol", "furosemide", "apixaban", "clopidogrel", "salbutamol",
    "ventolin", "montelukast", "lansoprazole", "citalopram", "fluoxetine", "mirtazapine", "diazepam",
    "zopiclone", "pregabalin", "tramadol", "cocodamol", "oxycodone", "hydrocodone", "diclofenac",
    "doxycycline", "trimethoprim", "nitrofurantoin", "sumatriptan", "cetirizine", "loratadine",
    "ozempic", "adderall", "lexapro", "calpol", "nurofen", "gaviscon", "an epipen",
]
MEDICINE_FRAMES = [
    "i take {m}", "i'm on {m}", "i'm taking {m}", "i took some {m}", "i take {m} every day",
    "i've been on {m} for years", "the doctor put me on {m}", "i'm allergic to {m}",
]
WORSE_AT = ["first thing in the morning", "at the end of the day", "at night", "after meals"]
INTAKE_FRAMES = [
    "{p}", "{p}", "i have {p}", "i've got {p}", "i think it's {p}", "{p} {d}", "it's {p}", "there's {p}",
    "and {p}", "also {p}", "no {p}", "yes {p}", "{who} has {p}", "{p} and {q}",
]
LASTS = ["a few minutes", "a few seconds", "about an hour", "all day", "a couple of hours"]
TEMPERATURES = [
    "ninety nine", "a hundred", "a hundred and one", "a hundred and two", "a hundred and three",
    "thirty eight", "thirty nine", "forty",
]
BLOOD_PRESSURES = ["high", "low", "normal", "a hundred and forty over ninety", "a hundred and sixty over a hundred"]
NUMBER_UNITS = ["hour", "day", "week", "month", "year"]
DAYS_PHRASES = [
    "since yesterday", "since this morning", "since last night", "since last week",
    "since monday", "since tuesday", "since wednesday", "since thursday", "since friday",
    "since saturday", "since sunday", "since the weekend", "since last month",
    "since christmas", "since my surgery", "since i got back from my trip", "all day",
    "all week", "for a while", "for a long time", "for ages", "on and off for a while",
]

# fmt: on


def small_number(rng: random.Random) -> str:
    return rng.choice([*UNITS, "a couple of", "a few", "several"])


def duration(rng: random.Random) -> str:
    unit = rng.choice(NUMBER_UNITS)
    count = small_number(rng)
    plural = "" if count == "one" else "s"
    return rng.choice(
        [
            f"for {count} {unit}{plural}",
            f"for about {count} {unit}{plural}",
            f"for the past {count} {unit}{plural}",
            f"for the last {count} {unit}{plural}",
            f"for about a {unit}",
            f"for over a {unit}",
            f"for almost a {unit}",
            f"on and off for {count} {unit}{plural}",
            rng.choice(DAYS_PHRASES),
        ]
    )


def age(rng: random.Random) -> str:
    tens = rng.choice(TENS)
    return rng.choice([tens, f"{tens} {rng.choice(UNITS[:9])}", rng.choice(TEENS)])


def symptom_sentence(rng: random.Random) -> str:
    s, d = rng.choice(SYMPTOMS), duration(rng)
    return rng.choice(
        [
            f"i have {s}",
            f"i have {s} {d}",
            f"i've had {s} {d}",
            f"i have had {s} {d}",
            f"i've been having {s} {d}",
            f"i have been having {s}",
            f"i'm having {s}",
            f"i got {s} {rng.choice(WHEN)}",
            f"i started having {s} {rng.choice(WHEN)}",
            f"i woke up with {s}",
            f"i keep getting {s}",
            f"i've got {s}",
            f"i also have {s}",
            f"i don't have {s}",
            f"i haven't had {s}",
            f"there's {s}",
            f"it's mainly {s}",
            f"the main problem is {s}",
            f"i'm calling about {s}",
            f"i need help with {s}",
            f"i'm worried about {s}",
            f"my {rng.choice(RELATIVES)} has {s}",
        ]
    )


def feeling_sentence(rng: random.Random) -> str:
    f, d = rng.choice(FEELINGS), duration(rng)
    return rng.choice(
        [
            f"i feel {f}",
            f"i feel {f} {d}",
            f"i've been feeling {f} {d}",
            f"i've been feeling {f}",
            f"i'm feeling {f}",
            f"i felt {f} {rng.choice(WHEN)}",
            f"i get {f} when i {rng.choice(ACTIVITIES)}",
            f"i feel {f} and {rng.choice(FEELINGS)}",
            f"i'm {f}",
            f"i'm so {f}",
            f"i've been {f} {d}",
            f"i've been {rng.choice(ONGOING)} {d}",
            f"i've been {rng.choice(ONGOING)}",
            f"i have been {rng.choice(ONGOING)} {d}",
            f"i keep {rng.choice(ONGOING)}",
            f"i'm {rng.choice(ONGOING)} {rng.choice(FREQUENCY)}",
            f"i started {rng.choice(ONGOING)} {rng.choice(WHEN)}",
            f"it feels like {rng.choice(SIMILES)}",
            f"i feel like {rng.choice(SIMILES)}",
            f"it's like {rng.choice(SIMILES)}",
        ]
    )


def body_sentence(rng: random.Random) -> str:
    b, h, q = rng.choice(BODY_PARTS), rng.choice(HURTS), rng.choice(QUALITIES)
    return rng.choice(
        [
            f"my {b} {h}",
            f"my {b} {h} {duration(rng)}",
            f"my {b} {h} when i {rng.choice(ACTIVITIES)}",
            f"i have a {q} pain in my {b}",
            f"i have pain in my {b}",
            f"i have a pain in my {b}",
            f"i've got a {q} pain in my {b}",
            f"there's a {q} pain in my {b}",
            f"it hurts in my {b}",
            f"the pain is in my {b}",
            f"the pain is mostly in my {b}",
            f"the pain goes to my {b}",
            f"the pain goes down my {b}",
            f"the pain spreads to my {b}",
            f"it moves to my {b}",
            f"i hurt my {b}",
            f"i injured my {b} {rng.choice(WHEN)}",
            f"i fell and hurt my {b}",
            f"i twisted my {b}",
            f"i can't move my {b}",
            f"i can't feel my {b}",
            f"i have a rash on my {b}",
            f"there's swelling in my {b}",
            f"my {b} and my {rng.choice(BODY_PARTS)} {h}",
            f"my {b} {rng.choice(CHANGES)}",
            f"my {b} {rng.choice(CHANGES)} {rng.choice(FREQUENCY)}",
            f"my {b} feels like {rng.choice(SIMILES)}",
            f"the skin on my {b} {rng.choice(CHANGES)}",
        ]
    )


def pain_sentence(rng: random.Random) -> str:
    q, a = rng.choice(QUALITIES), rng.choice(ACTIVITIES)
    n = rng.choice(UNITS)
    return rng.choice(
        [
            f"it's a {q} pain",
            f"the pain is {q}",
            f"it feels {q}",
            f"it's more of a {q} pain",
            f"it's kind of {q}",
            f"it's {q} and {rng.choice(QUALITIES)}",
            f"it gets worse when i {a}",
            f"it gets better when i {a}",
            f"it hurts when i {a}",
            f"it hurts more when i {a}",
            f"it's worse when i {a}",
            f"it's better when i {a}",
            f"it helps when i {a}",
            f"it doesn't hurt when i {a}",
            f"i can't {a}",
            f"i can't {a} without pain",
            f"it hurts to {a}",
            f"it's a {n} out of ten",
            f"i would say it's a {n} out of ten",
            f"i'd say about a {n}",
            f"about a {n} out of ten",
            f"on a scale of one to ten it's a {n}",
            f"it's around a {n}",
            f"maybe a {n}",
            f"the pain is a {n}",
            f"right now it's a {n}",
            f"it started {rng.choice(WHEN)}",
            f"it began {rng.choice(WHEN)}",
            f"it's been going on {duration(rng)}",
            f"it's been like this {duration(rng)}",
            f"it happened {rng.choice(WHEN)}",
            f"it came on {rng.choice(WHEN)}",
            f"it lasts {rng.choice(LASTS)}",
        ]
    )


def history_sentence(rng: random.Random) -> str:
    c, m, al = rng.choice(CONDITIONS), rng.choice(MEDICATIONS), rng.choice(ALLERGENS)
    r = rng.choice(RELATIVES)
    return rng.choice(
        [
            f"i have {c}",
            f"i've got {c}",
            f"i was diagnosed with {c}",
            f"i was diagnosed with {c} {rng.choice(WHEN)}",
            f"i've had {c} for years",
            f"my {r} has {c}",
            f"my {r} had {c}",
            f"there's {c} in my family",
            f"i take {m}",
            f"i take {m} every day",
            f"i take {m} for my {c}",
            f"i'm on {m}",
            f"i'm taking {m}",
            f"i took {m}",
            f"i took some {m} {rng.choice(WHEN)}",
            f"i took {m} but it didn't help",
            f"i tried {m} but it didn't work",
            f"i stopped taking {m}",
            f"i ran out of {m}",
            f"i forgot to take my {m}",
            f"i'm allergic to {al}",
            f"i'm allergic to {al} and {rng.choice(ALLERGENS)}",
            f"i have an allergy to {al}",
            f"i get a rash from {al}",
            f"i'm {age(rng)} years old",
            f"i'm {age(rng)}",
            f"i am {age(rng)} years old",
            f"he's {age(rng)}",
            f"she's {age(rng)} years old",
            f"my {r} is {age(rng)}",
            f"i smoke about {small_number(rng)} cigarettes a day",
            f"i quit smoking {small_number(rng)} years ago",
            f"i drink {small_number(rng)} glasses of wine a week",
            f"i'm {rng.choice(UNITS)} weeks pregnant",
            f"i had surgery on my {rng.choice(BODY_PARTS)} {rng.choice(WHEN)}",
            f"my temperature is a hundred and {rng.choice(UNITS[:4])}",
            f"my temperature was {rng.choice(TEMPERATURES)}",
            f"my blood pressure was {rng.choice(BLOOD_PRESSURES)}",
            f"my blood sugar is {rng.choice(['high', 'low', 'two hundred', 'really high', 'normal'])}",
        ]
    )


def life_sentence(rng: random.Random) -> str:
    subject = rng.choice(SUBJECTS).format(rel=rng.choice(RELATIVES))
    act, when = rng.choice(EVERYDAY), rng.choice(WHEN)
    return rng.choice(
        [
            f"{subject} {rng.choice(EVENTS)}",
            f"{subject} {rng.choice(EVENTS)} {when}",
            f"it started when i was {act}",
            f"it happened while i was {act}",
            f"it hurts when i'm {act}",
            f"i was {act} when it started",
            f"i was {act} {when}",
            f"i can't stop {rng.choice(ONGOING[:6])}",
            f"i've been {act} a lot",
            f"i haven't been {act}",
            f"it gets worse whenever i {rng.choice(ACTIVITIES)}",
            f"every time i {rng.choice(ACTIVITIES)} it hurts",
            f"whenever i {rng.choice(ACTIVITIES)} i feel {rng.choice(FEELINGS)}",
            f"it happens {rng.choice(FREQUENCY)}",
            f"i get it {rng.choice(FREQUENCY)}",
            f"i take it {rng.choice(FREQUENCY)}",
            f"i've had it {rng.choice(FREQUENCY)} {when}",
            rng.choice(INJURIES),
            f"{rng.choice(INJURIES)} {when}",
            f"{rng.choice(INJURIES)} and now my {rng.choice(BODY_PARTS)} {rng.choice(HURTS)}",
            rng.choice(GUT).format(n=small_number(rng), freq=rng.choice(FREQUENCY), when=rng.choice(WHEN)),
        ]
    )


def carer_sentence(rng: random.Random) -> str:
    who = rng.choice(CARERS)
    have = "have" if who in ("i", "they") else "has"
    return rng.choice(
        [
            f"{who} {have} {rng.choice(SYMPTOMS)}",
            f"{who} {have} had {rng.choice(SYMPTOMS)} {duration(rng)}",
            f"{who} {have} been {rng.choice(ONGOING)} {duration(rng)}",
            f"{who} keeps {rng.choice(ONGOING)}",
            f"{who} can't stop {rng.choice(ONGOING[:6])}",
            f"{who} feels {rng.choice(FEELINGS)}",
            f"{who} says {rng.choice(['his', 'her', 'their'])} {rng.choice(BODY_PARTS)} {rng.choice(HURTS)}",
            f"{who} is {age(rng)} years old",
            f"{who} is {rng.choice(UNITS)} months old",
            f"{who} hasn't been {rng.choice(['eating', 'drinking', 'sleeping', 'feeding'])} properly",
        ]
    )


def treatment_sentence(rng: random.Random) -> str:
    med = rng.choice(MEDICATIONS)
    return rng.choice(
        [
            f"i've taken {med}",
            f"i took {small_number(rng)} {med} {rng.choice(WHEN)}",
            f"i've been taking {med} {duration(rng)}",
            f"i took some {med} and {rng.choice(TREATMENT_EFFECTS)}",
            f"i'm on {med} tablets",
            f"i take {med} tablets {rng.choice(FREQUENCY)}",
            f"the doctor gave me {med}",
            rng.choice(TREATMENT_EFFECTS),
            rng.choice(OTHERS),
        ]
    )


def state_sentence(rng: random.Random) -> str:
    n, act = rng.choice(UNITS), rng.choice(ACTIVITIES)
    return rng.choice(
        [
            f"my {rng.choice(BODY_THINGS)} is {rng.choice(BODY_STATES)}",
            f"my {rng.choice(BODY_THINGS)} has been {rng.choice(BODY_STATES)} {duration(rng)}",
            f"my {rng.choice(BODY_THINGS)} went {rng.choice(BODY_STATES)}",
            f"i'd give it a {n}",
            f"right now it's about a {n}",
            f"at its worst it's a {n}",
            f"it's a {n} at the moment",
            f"it was a {n} earlier",
            f"maybe a {n} or a {rng.choice(UNITS)}",
            f"it eases off when i {act}",
            f"it settles when i {act}",
            f"it goes away when i {act}",
            f"it comes on when i {act}",
            f"it's worse {rng.choice(WORSE_AT)}",
        ]
    )


def intake_sentence(rng: random.Random, phrases: list[str]) -> str:
    """A phrase the intake engine listens for, in a light frame (the lexicon is the patient's words)."""
    frame = rng.choice(INTAKE_FRAMES)
    return frame.format(p=rng.choice(phrases), q=rng.choice(phrases), d=duration(rng), who=rng.choice(CARERS))


def expand_pattern(pattern: str, limit: int = PHRASES_PER_PATTERN) -> list[str]:
    """Up to ``limit`` plain phrases a lexicon pattern matches (its '~' and '...' gaps left empty)."""
    source = pattern.replace("~", "").replace("...", " ").replace(" ?", " ")
    try:
        expanded = _expand_sequence(list(sre_parse.parse(source)), limit)
    except re.error:
        return []
    return [" ".join(phrase.split()) for phrase in expanded or [] if phrase.strip()]


def _expand_sequence(items: list[tuple[object, Any]], limit: int) -> list[str] | None:
    phrases = [""]
    for op, argument in items:
        options = _expand_item(op, argument, limit)
        if options is None:
            return None
        phrases = [head + tail for head in phrases for tail in options][:limit]
    return phrases


def _expand_item(op: object, argument: Any, limit: int) -> list[str] | None:
    if op is sre_constants.LITERAL:
        return [chr(argument)]
    if op is sre_constants.AT:
        return [""]
    if op is sre_constants.SUBPATTERN:
        return _expand_sequence(list(argument[3]), limit)
    if op is sre_constants.BRANCH:
        branches = [_expand_sequence(list(branch), limit) for branch in argument[1]]
        return None if None in branches else [p for branch in branches for p in branch or []][:limit]
    if op is sre_constants.MAX_REPEAT:
        low, high, inner = argument
        options = _expand_sequence(list(inner), limit)
        if options is None or (low, high) not in ((0, 1), (1, 1)):
            return None
        return [*options, ""] if low == 0 else options
    if op is sre_constants.IN:
        characters = [chr(value) for kind, value in argument if kind is sre_constants.LITERAL]
        return characters[:1] or None
    return None


@functools.cache
def intake_phrases(known: frozenset[str]) -> list[str]:
    """Every concept phrasing in the intake engine's lexicon whose words we can pronounce."""
    concepts = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))["concepts"].values()
    phrases = {phrase for concept in concepts for pattern in concept["patterns"] for phrase in expand_pattern(pattern)}
    return sorted(phrase for phrase in phrases if set(phrase.split()) <= known)


def question_sentence(rng: random.Random) -> str:
    return rng.choice(QUESTIONS).format(med=rng.choice(MEDICATIONS))


def fixed_sentence(rng: random.Random) -> str:
    return rng.choice(rng.choice([EMERGENCIES, ANSWERS]))


def compound_sentence(rng: random.Random) -> str:
    first = rng.choice([symptom_sentence, feeling_sentence, body_sentence])(rng)
    second = rng.choice([symptom_sentence, feeling_sentence, body_sentence, pain_sentence, life_sentence])(rng)
    joiner = rng.choice(["and", "and", "and", "but", "and also", "because", "so", "and now", "and then"])
    return f"{first} {joiner} {second}"


GENERATORS: list[tuple[Callable[[random.Random], str], int]] = [
    (symptom_sentence, 20),
    (feeling_sentence, 10),
    (body_sentence, 18),
    (pain_sentence, 16),
    (history_sentence, 16),
    (question_sentence, 4),
    (fixed_sentence, 10),
    (compound_sentence, 16),
    (life_sentence, 18),
    (carer_sentence, 10),
    (treatment_sentence, 8),
    (state_sentence, 10),
]
INTAKE_WEIGHT = 40


def sentences(phrases: list[str], count: int = SENTENCE_COUNT, seed: int = SEED) -> Iterator[str]:
    """Yield ``count`` distinct corpus sentences, deterministic for a seed; ``phrases`` from the intake lexicon."""
    rng = random.Random(seed)
    generators = [*GENERATORS, (functools.partial(intake_sentence, phrases=phrases), INTAKE_WEIGHT)]
    makers, weights = zip(*generators, strict=True)
    seen: set[str] = set()
    for fixed in EMERGENCIES + ANSWERS:
        seen.add(fixed)
        yield fixed
    while len(seen) < count:
        core = rng.choices(makers, weights)[0](rng)
        sentence = re.sub(r"\s+", " ", f"{rng.choice(OPENERS)}{core}{rng.choice(TAILS)}").strip()
        if sentence not in seen:
            seen.add(sentence)
            yield sentence


def phrasebook() -> list[str]:
    """The individually written utterances, one per line."""
    return [line.strip() for line in PHRASEBOOK_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def medicine_sentences() -> list[str]:
    return [frame.format(m=medicine) for medicine in NAMED_MEDICINES for frame in MEDICINE_FRAMES]


def corpus_lines(known: set[str]) -> list[str]:
    """The corpus file's lines: sampled sentences, every named medicine in its frames, the phrasebook."""
    return [*sentences(intake_phrases(frozenset(known))), *medicine_sentences(), *phrasebook()]


def dictionary_words(*paths: Path) -> set[str]:
    words: set[str] = set()
    for path in paths:
        with open(path, encoding="utf-8") as lexicon:
            words.update(re.sub(r"\(\d+\)$", "", line.split(maxsplit=1)[0]) for line in lexicon if line.strip())
    return words


def check_vocabulary(lines: list[str], known: set[str]) -> set[str]:
    """Return corpus words missing from the pronunciation dictionaries."""
    return {word for line in lines for word in line.split()} - known


def main() -> None:
    from pocketsphinx import get_model_path

    cmudict = Path(get_model_path("en-us/cmudict-en-us.dict"))
    known = dictionary_words(cmudict, EXTRA_DICT_PATH)
    lines = corpus_lines(known)
    missing = check_vocabulary(lines, known)
    if missing:
        raise SystemExit(f"out-of-dictionary words: {sorted(missing)}")
    CORPUS_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} sentences to {CORPUS_PATH}")


if __name__ == "__main__":
    main()
