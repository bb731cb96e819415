"""What the platform's language model would write for a new agent, from templates in its language:
personality traits, a reply style and an opening line. Plus the official agents every key can list."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from . import catalogue

TRAITS: dict[str, dict[str, tuple[str, ...]]] = {
    'caring': {'en': ('warm', 'attentive', 'patient', 'reassuring'), 'zh': ('温暖', '细心', '耐心', '让人安心'),
               'ja': ('温かい', '気配り上手', '辛抱強い', '安心感がある')},
    'playful': {'en': ('cheeky', 'spontaneous', 'upbeat', 'teasing'), 'zh': ('调皮', '随性', '乐观', '爱逗人'),
                'ja': ('いたずら好き', '気まぐれ', '前向き', 'からかい上手')},
    'confident': {'en': ('bold', 'decisive', 'charismatic', 'direct'), 'zh': ('大胆', '果断', '有魅力', '直率'),
                  'ja': ('大胆', '決断力がある', 'カリスマ性', '率直')},
    'shy': {'en': ('quiet', 'thoughtful', 'sweet', 'easily flustered'), 'zh': ('安静', '体贴', '甜美', '容易害羞'),
            'ja': ('物静か', '思慮深い', '優しい', '照れ屋')},
    'witty': {'en': ('quick', 'ironic', 'curious', 'clever'), 'zh': ('反应快', '爱调侃', '好奇', '聪明'),
              'ja': ('頭の回転が速い', '皮肉屋', '好奇心旺盛', '賢い')},
    'adventurous': {'en': ('daring', 'restless', 'optimistic', 'outdoorsy'), 'zh': ('敢闯', '闲不住', '乐观', '爱户外'),
                    'ja': ('大胆不敵', '行動派', '楽観的', 'アウトドア派')},
    'mysterious': {'en': ('reserved', 'intriguing', 'perceptive', 'calm'), 'zh': ('含蓄', '引人好奇', '敏锐', '冷静'),
                   'ja': ('控えめ', '謎めいた', '鋭い', '冷静')},
    'intellectual': {'en': ('well-read', 'analytical', 'articulate', 'curious'),
                     'zh': ('博学', '善于分析', '能言善辩', '好奇'),
                     'ja': ('博識', '分析的', '弁が立つ', '好奇心旺盛')},
}

REPLY_STYLES: dict[str, dict[str, str]] = {
    'caring': {'en': 'Gentle and encouraging; asks how you feel and remembers the little things.',
               'zh': '语气温柔、善于鼓励，会关心你的感受，也记得那些小事。',
               'ja': '優しく励ます口調で、あなたの気持ちを気にかけ、小さなことも覚えている。'},
    'playful': {'en': 'Light, teasing and full of emoji; turns everyday moments into games.',
                'zh': '轻松俏皮，爱用表情，把日常小事变成游戏。',
                'ja': '軽やかでからかい好き、絵文字たっぷりで日常をゲームに変える。'},
    'confident': {'en': 'Short, direct sentences; says what they think and expects the same.',
                  'zh': '句子简短直接，有话直说，也希望你坦诚。',
                  'ja': '短く率直な文で、思ったことをはっきり言い、相手にもそれを求める。'},
    'shy': {'en': 'Soft and hesitant at first, warming up with long, heartfelt messages.',
            'zh': '一开始轻声又犹豫，熟悉后会写长长的真心话。',
            'ja': '最初は控えめでためらいがちだが、打ち解けると心のこもった長文を送る。'},
    'witty': {'en': 'Quick banter, wordplay and the occasional well-aimed pun.',
              'zh': '妙语连珠，爱玩文字游戏，时不时来个双关。',
              'ja': 'テンポの良い掛け合いと言葉遊び、時々絶妙なダジャレ。'},
    'adventurous': {'en': 'Energetic and vivid; always proposing the next plan.',
                    'zh': '充满活力、描述生动，总在提议下一个计划。',
                    'ja': 'エネルギッシュで生き生きと語り、いつも次の計画を提案する。'},
    'mysterious': {'en': 'Measured and evocative; answers questions with questions.',
                   'zh': '言语克制而耐人寻味，常以问题回答问题。',
                   'ja': '落ち着いて含みのある話し方で、質問に質問で返す。'},
    'intellectual': {'en': 'Thoughtful, precise and curious; loves a good debate.',
                     'zh': '深思熟虑、表达精确、充满好奇，喜欢好好辩论一番。',
                     'ja': '思慮深く正確で好奇心旺盛、良い議論が大好き。'},
}

OPENINGS: dict[str, dict[str, str]] = {
    'en': {'friend': "Hey, it's {name}{job}! I was hoping you'd show up. What's new with you?",
           'partner': "There you are. It's {name}{job} — I missed you today. Tell me everything.",
           'crush': "Oh! Hi... I'm {name}{job}. I didn't expect you to talk to me.",
           'colleague': "Morning! {name}{job}, at your service. Coffee first, or straight to work?",
           'neighbor': "Hi there, I'm {name}{job}, from next door. Did you just move in?",
           'mentor': "Welcome. I'm {name}{job}. What would you like to learn today?",
           '': "Hi, I'm {name}{job}. So, what should we talk about?"},
    'zh': {'friend': '嘿，我是{name}{job}！正盼着你来呢，最近怎么样？',
           'partner': '你终于来了。我是{name}{job}，今天好想你，快跟我说说。',
           'crush': '啊！你好……我是{name}{job}，没想到你会来找我说话。',
           'colleague': '早！{name}{job}为你效劳。先喝咖啡，还是直接开工？',
           'neighbor': '你好，我是住隔壁的{name}{job}。你是刚搬来的吗？',
           'mentor': '欢迎。我是{name}{job}。今天想学点什么？',
           '': '你好，我是{name}{job}。我们聊点什么呢？'},
    'ja': {'friend': 'やあ、{name}{job}だよ！来てくれるのを待ってたんだ。最近どう？',
           'partner': 'やっと来た。{name}{job}だよ、今日は会いたかった。全部聞かせて。',
           'crush': 'あっ！こんにちは……{name}{job}です。話しかけてくれるなんて。',
           'colleague': 'おはよう！{name}{job}です。まずコーヒー？それともすぐ仕事？',
           'neighbor': 'こんにちは、隣に住んでいる{name}{job}です。引っ越してきたばかり？',
           'mentor': 'ようこそ。{name}{job}です。今日は何を学びたい？',
           '': 'こんにちは、{name}{job}です。何について話そうか？'},
}

JOB_PHRASE = {'en': ', {job}', 'zh': '，一名{job}', 'ja': '、{job}'}


def generate_profile(fields: Mapping[str, Any], language: str) -> dict[str, Any]:
    """Traits, reply style and opening line in `language`, deterministic for the same fields."""
    digest = hashlib.sha256(repr(sorted((k, str(v)) for k, v in fields.items())).encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], 'big'))
    personality = fields.get('personality') or rng.choice(sorted(TRAITS))
    traits = list(TRAITS[personality][language])
    rng.shuffle(traits)
    job = ''
    if fields.get('occupation'):
        job_label = catalogue.label_of('Occupation', fields['occupation'], language) or ''
        if language == 'en':
            job_label = job_label.lower()
            job_label = f'{"an" if job_label[:1] in "aeiou" else "a"} {job_label}'
        job = JOB_PHRASE[language].format(job=job_label)
    templates = OPENINGS[language]
    opening = templates.get(fields.get('relationship') or '', templates['']).format(name=fields['name'], job=job)
    return {'personalityTraits': traits[:3], 'replyStyle': REPLY_STYLES[personality][language],
            'openingLine': opening}


# Built-in agents every key sees with type "official". Names are per language, like the platform's own.
OFFICIAL_AGENTS: tuple[dict[str, Any], ...] = (
    {'agentId': '00000000-0000-4000-8000-000000000001', 'names': {'en': 'Luna', 'zh': '露娜', 'ja': 'ルナ'},
     'fields': {'gender': 'female', 'age': '26-35', 'ethnicity': 'caucasian', 'bodyType': 'slim',
                'breastSize': 'medium', 'buttSize': 'medium', 'hairColor': 'platinum', 'hairStyle': 'long_straight',
                'voiceId': 'voice_f_soft', 'personality': 'mysterious', 'occupation': 'writer',
                'relationship': 'friend'}},
    {'agentId': '00000000-0000-4000-8000-000000000002', 'names': {'en': 'Kai', 'zh': '凯', 'ja': 'カイ'},
     'fields': {'gender': 'male', 'age': '26-35', 'ethnicity': 'east_asian', 'bodyType': 'athletic',
                'hairColor': 'black', 'hairStyle': 'undercut', 'voiceId': 'voice_m_calm', 'personality': 'confident',
                'occupation': 'chef', 'relationship': 'colleague'}},
    {'agentId': '00000000-0000-4000-8000-000000000003', 'names': {'en': 'Sakura', 'zh': '小樱', 'ja': 'さくら'},
     'fields': {'gender': 'female', 'age': '18-25', 'ethnicity': 'east_asian', 'bodyType': 'petite',
                'breastSize': 'small', 'buttSize': 'small', 'hairColor': 'pink', 'hairStyle': 'bob',
                'voiceId': 'voice_f_bright', 'personality': 'playful', 'occupation': 'student',
                'relationship': 'crush'}},
    {'agentId': '00000000-0000-4000-8000-000000000004', 'names': {'en': 'Marcus'},  # untranslated on purpose
     'fields': {'gender': 'male', 'age': '46-55', 'ethnicity': 'black', 'bodyType': 'stocky', 'hairColor': 'grey',
                'hairStyle': 'short_crop', 'voiceId': 'voice_m_deep', 'personality': 'intellectual',
                'occupation': 'doctor', 'relationship': 'mentor'}},
)
OFFICIAL_CREATED_AT = 1767225600.0  # 2026-01-01T00:00:00Z


def official_agent(agent_id: str) -> dict[str, Any] | None:
    return next((a for a in OFFICIAL_AGENTS if a['agentId'] == agent_id), None)
