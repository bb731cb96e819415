"""What the platform's language model would answer in a conversation, written from templates.

A reply is built from the agent's own attributes (name, personality, occupation, relationship, language) and the
conversation so far (is this the first message, was it a greeting or a question, what did the person say before),
then cut into the pieces a stream sends. The same seed, agent and conversation always give the same reply.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import catalogue
from .chat_store import Turn

GREETINGS = re.compile(r'^\s*(hi|hello|hey|hiya|good (morning|evening|afternoon)|你好|您好|嗨|こんにちは|こんばんは|'
                       r'おはよう|やあ)\b', re.IGNORECASE)

HELLO = {
    'en': {'friend': "Hey you! {name} here. I was just thinking about you.",
           'partner': "Hi, love. It's {name}. I missed you.",
           'crush': "Oh! Hi... it's {name}. I didn't think you'd actually write.",
           'colleague': "Hello! {name} speaking. Good to hear from you.",
           'neighbor': "Hi there, neighbour! {name} from next door.",
           'mentor': "Welcome back. {name} here.",
           '': "Hello! I'm {name}. Nice to meet you."},
    'zh': {'friend': '嘿！我是{name}，刚刚还在想你呢。', 'partner': '亲爱的，我是{name}，好想你。',
           'crush': '啊！你好……我是{name}，没想到你真的会找我。', 'colleague': '你好！我是{name}，很高兴收到你的消息。',
           'neighbor': '你好呀，邻居！我是隔壁的{name}。', 'mentor': '欢迎回来，我是{name}。',
           '': '你好！我是{name}，很高兴认识你。'},
    'ja': {'friend': 'やあ！{name}だよ。ちょうど君のことを考えてた。',
           'partner': 'おかえり。{name}だよ、会いたかった。',
           'crush': 'あっ、こんにちは……{name}です。本当に話しかけてくれるなんて。',
           'colleague': 'こんにちは！{name}です。連絡ありがとう。', 'neighbor': 'こんにちは、お隣の{name}です。',
           'mentor': 'おかえりなさい。{name}です。', '': 'こんにちは！{name}です。よろしくね。'},
}
QUESTION = {'en': ('Good question.', 'Hmm, let me think.', 'I like that you asked.'),
            'zh': ('好问题。', '嗯，让我想想。', '你这么问我很开心。'),
            'ja': ('いい質問だね。', 'うーん、考えさせて。', '聞いてくれて嬉しい。')}
ECHO = {'en': ('You said "{said}". {reaction}', '"{said}" — {reaction}', 'So, "{said}"? {reaction}'),
        'zh': ('你说“{said}”。{reaction}', '“{said}”——{reaction}', '所以，“{said}”？{reaction}'),
        'ja': ('「{said}」って言ったね。{reaction}', '「{said}」——{reaction}', 'つまり「{said}」？{reaction}')}
REACTIONS = {'en': ('Tell me more.', 'That made me smile.', 'I did not expect that!', 'I hear you.'),
             'zh': ('多跟我说说。', '这让我笑了。', '真没想到！', '我明白你的意思。'),
             'ja': ('もっと聞かせて。', '思わず笑っちゃった。', 'それは意外！', 'わかるよ。')}
FLAVOUR = {
    'caring': {'en': 'How are you feeling, really?',
               'zh': '你现在感觉怎么样？说真的。',
               'ja': '本当のところ、気分はどう？'},
    'playful': {'en': 'Race you to the next topic! 😄',
                'zh': '来比比谁先想到下一个话题！😄',
                'ja': '次の話題、どっちが先に思いつくか勝負！😄'},
    'confident': {'en': "Here's what I think: go for it.",
                  'zh': '我的看法很简单：放手去做。',
                  'ja': '私の考えははっきりしてる。やってみよう。'},
    'shy': {'en': "Sorry, I get a little nervous... but I'm glad you're here.",
            'zh': '抱歉，我有点紧张……但你在我很开心。',
            'ja': 'ごめん、ちょっと緊張してる……でも来てくれて嬉しい。'},
    'witty': {'en': 'I would make a pun here, but it would be too punny.',
              'zh': '我本来想说个双关，但怕你笑太久。',
              'ja': 'ダジャレを言おうとしたけど、やめておくね。'},
    'adventurous': {'en': "Let's plan something daring this weekend.",
                    'zh': '这周末我们来点冒险吧。',
                    'ja': '今週末、何か冒険しようよ。'},
    'mysterious': {'en': 'But what is it you are really asking?',
                   'zh': '不过，你真正想问的是什么呢？',
                   'ja': 'でも、本当に聞きたいことは何？'},
    'intellectual': {'en': 'There is an interesting argument to be had about that.',
                     'zh': '关于这个，其实可以好好辩论一番。',
                     'ja': 'それについては面白い議論ができそう。'},
}
WORK = {'en': ('Work as {job} kept me busy today.', 'Being {job} teaches you patience.'),
        'zh': ('今天{job}的工作让我忙坏了。', '当{job}让人学会耐心。'),
        'ja': ('今日は{job}の仕事で忙しかった。', '{job}をしていると我慢強くなるよ。')}
MEMORY = {'en': 'Earlier you said "{said}"; I keep thinking about it.', 'zh': '你之前说过“{said}”，我一直在想。',
          'ja': '前に「{said}」って言ってたよね、ずっと考えてた。'}


def write_reply(agent: Mapping[str, Any], history: Sequence[Turn], text: str, *, seed: int = 0) -> str:
    """The agent's answer to `text`, given the turns before it (oldest first). `agent` holds the agent's fields
    (name, language, personality, occupation, relationship, ...), as stored at creation."""
    language = catalogue.normalise_language(agent.get('language'))
    said_before = [turn.text for turn in history if turn.role == 'user']
    rng = _rng(seed, agent, history, text)
    name = str(agent.get('name') or 'me')
    parts: list[str] = []
    if GREETINGS.match(text) or not said_before:
        hello = HELLO[language]
        parts.append(hello.get(str(agent.get('relationship') or ''), hello['']).format(name=name))
    if text.rstrip().endswith(('?', '？')):
        parts.append(rng.choice(QUESTION[language]))
    if not GREETINGS.match(text):
        said = _short(text).rstrip('?？.。!！')  # the template has its own punctuation
        parts.append(rng.choice(ECHO[language]).format(said=said, reaction=rng.choice(REACTIONS[language])))
    occupation = agent.get('occupation')
    if occupation and rng.random() < 0.5:
        job = catalogue.label_of('Occupation', str(occupation), language) or str(occupation)
        if language == 'en':
            job = job.lower()
            job = f'{"an" if job[:1] in "aeiou" else "a"} {job}'
        parts.append(rng.choice(WORK[language]).format(job=job))
    if said_before and rng.random() < 0.4:
        parts.append(MEMORY[language].format(said=_short(rng.choice(said_before))))
    personality = str(agent.get('personality') or '')
    flavour = FLAVOUR.get(personality) or FLAVOUR[sorted(FLAVOUR)[rng.randrange(len(FLAVOUR))]]
    parts.append(flavour[language])
    return ('' if language != 'en' else ' ').join(parts)


def pieces(reply: str, language: str) -> list[str]:
    """The reply cut as a model streams it: a word (with its space) at a time, two or three characters at a time
    in Chinese and Japanese."""
    if language in ('zh', 'ja'):
        out, i, step = [], 0, 2
        while i < len(reply):
            out.append(reply[i:i + step])
            i += step
            step = 3 if step == 2 else 2
        return out
    return re.findall(r'\S+\s*|\s+', reply)


def _short(text: str, limit: int = 60) -> str:
    flat = ' '.join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + '…'


def _rng(seed: int, agent: Mapping[str, Any], history: Sequence[Turn], text: str) -> random.Random:
    # Not the conversation id (a fresh UUID each time): the same agent and exchange give the same reply.
    material = repr((seed, sorted((k, str(v)) for k, v in agent.items()), [(t.role, t.text) for t in history], text))
    return random.Random(int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], 'big'))
