"""The `custom_agent` material options: twelve categories, gender-dependent where the platform's are.

Labels are given per language; a missing translation (None) falls back to English, then to the code,
exactly as the contract describes, and a few are deliberately left out so clients meet the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = 'custom_agent'
LANGUAGES = ('en', 'zh', 'ja')
GENDERS = ('male', 'female')


@dataclass(frozen=True)
class Choice:
    code: str
    labels: dict[str, str]
    genders: tuple[str, ...] = GENDERS  # which genders may pick it
    colour: str | None = None  # swatch colour for previews and covers (hair, skin, ...)

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get('en') or self.code


def _c(code: str, en: str | None, zh: str | None = None, ja: str | None = None, *,
       genders: tuple[str, ...] = GENDERS, colour: str | None = None) -> Choice:
    labels = {lang: text for lang, text in (('en', en), ('zh', zh), ('ja', ja)) if text}
    return Choice(code, labels, genders, colour)


F, M = ('female',), ('male',)

CATALOGUE: dict[str, tuple[Choice, ...]] = {
    'Age': (
        _c('18-25', '18-25', '18-25岁', '18〜25歳'),
        _c('26-35', '26-35', '26-35岁', '26〜35歳'),
        _c('36-45', '36-45', '36-45岁', '36〜45歳'),
        _c('46-55', '46-55', '46-55岁', '46〜55歳'),
        _c('56-70', '56-70', '56-70岁'),  # ja left out on purpose: falls back to English
    ),
    'Ethnicity': (
        _c('east_asian', 'East Asian', '东亚', '東アジア系', colour='#f1c9a5'),
        _c('south_asian', 'South Asian', '南亚', '南アジア系', colour='#c68e63'),
        _c('caucasian', 'Caucasian', '白人', '白人', colour='#f6d5c3'),
        _c('black', 'Black', '黑人', '黒人', colour='#7b4a2d'),
        _c('latino', 'Latino', '拉丁裔', 'ラテン系', colour='#d9a27a'),
        _c('middle_eastern', 'Middle Eastern', '中东', '中東系', colour='#cf9a72'),
        _c('mixed', 'Mixed', '混血', colour='#e0b08a'),
    ),
    'BodyType': (
        _c('slim', 'Slim', '纤细', 'スリム'),
        _c('athletic', 'Athletic', '健美', 'アスリート体型'),
        _c('petite', 'Petite', '娇小', '小柄', genders=F),
        _c('curvy', 'Curvy', '曲线', 'グラマー', genders=F),
        _c('plus_size', 'Plus size', '丰满', genders=F),
        _c('muscular', 'Muscular', '肌肉型', '筋肉質', genders=M),
        _c('average', 'Average', '普通', '普通', genders=M),
        _c('stocky', 'Stocky', '壮实', genders=M),
    ),
    'BreastSize': (
        _c('small', 'Small', '小', '小さめ', genders=F),
        _c('medium', 'Medium', '中等', '普通', genders=F),
        _c('large', 'Large', '大', '大きめ', genders=F),
        _c('extra_large', 'Extra large', '特大', genders=F),
    ),
    'ButtSize': (
        _c('small', 'Small', '小', '小さめ', genders=F),
        _c('medium', 'Medium', '中等', '普通', genders=F),
        _c('large', 'Large', '大', '大きめ', genders=F),
        _c('athletic', 'Athletic', '翘臀', genders=F),
    ),
    'HairColor': (
        _c('black', 'Black', '黑色', '黒', colour='#1c1a1a'),
        _c('dark_brown', 'Dark brown', '深棕色', 'ダークブラウン', colour='#3b2417'),
        _c('brown', 'Brown', '棕色', 'ブラウン', colour='#6b4423'),
        _c('blonde', 'Blonde', '金色', '金髪', colour='#e3c16f'),
        _c('platinum', 'Platinum', '铂金色', 'プラチナ', colour='#ece6d6'),
        _c('red', 'Red', '红色', '赤毛', colour='#a3341c'),
        _c('auburn', 'Auburn', '赤褐色', colour='#7e3517'),
        _c('grey', 'Grey', '灰色', 'グレー', colour='#9a9a9a'),
        _c('pink', 'Pink', '粉色', 'ピンク', colour='#f19cbb'),
        _c('blue', 'Blue', '蓝色', 'ブルー', colour='#3b6fd6'),
    ),
    'HairStyle': (
        _c('long_straight', 'Long straight', '长直发', 'ロングストレート', genders=F),
        _c('long_wavy', 'Long wavy', '长卷发', 'ロングウェーブ', genders=F),
        _c('bob', 'Bob', '波波头', 'ボブ', genders=F),
        _c('ponytail', 'Ponytail', '马尾', 'ポニーテール', genders=F),
        _c('bun', 'Bun', '丸子头', 'お団子', genders=F),
        _c('pixie', 'Pixie cut', '精灵短发', genders=F),
        _c('braids', 'Braids', '辫子', '三つ編み', genders=F),
        _c('buzz_cut', 'Buzz cut', '寸头', '坊主', genders=M),
        _c('short_crop', 'Short crop', '短发', 'ショート', genders=M),
        _c('undercut', 'Undercut', '削边头', 'ツーブロック', genders=M),
        _c('quiff', 'Quiff', '飞机头', genders=M),
        _c('man_bun', 'Man bun', '男士丸子头', genders=M),
        _c('shoulder_length', 'Shoulder length', '齐肩发', 'ミディアム', genders=M),
        _c('curly', 'Curly', '卷发', 'カーリー'),
    ),
    'Voice': (
        _c('voice_f_warm', 'Warm', '温暖', '温かい', genders=F),
        _c('voice_f_bright', 'Bright', '明亮', '明るい', genders=F),
        _c('voice_f_husky', 'Husky', '沙哑', 'ハスキー', genders=F),
        _c('voice_f_soft', 'Soft', '轻柔', genders=F),
        _c('voice_f_mature', 'Mature', '成熟', '大人っぽい', genders=F),
        _c('voice_m_deep', 'Deep', '低沉', '低い', genders=M),
        _c('voice_m_calm', 'Calm', '沉稳', '落ち着いた', genders=M),
        _c('voice_m_bright', 'Bright', '明亮', '明るい', genders=M),
        _c('voice_m_raspy', 'Raspy', '沙哑', genders=M),
        _c('voice_m_gentle', 'Gentle', '温柔', '優しい', genders=M),
    ),
    'Personality': (
        _c('caring', 'Caring', '体贴', '思いやりがある'),
        _c('playful', 'Playful', '俏皮', '遊び心がある'),
        _c('confident', 'Confident', '自信', '自信家'),
        _c('shy', 'Shy', '害羞', '内気'),
        _c('witty', 'Witty', '机智', 'ウィットに富む'),
        _c('adventurous', 'Adventurous', '爱冒险'),
        _c('mysterious', 'Mysterious', '神秘', 'ミステリアス'),
        _c('intellectual', 'Intellectual', '知性', '知的'),
    ),
    'Occupation': (
        _c('nurse', 'Nurse', '护士', '看護師'),
        _c('teacher', 'Teacher', '教师', '教師'),
        _c('artist', 'Artist', '艺术家', 'アーティスト'),
        _c('engineer', 'Engineer', '工程师', 'エンジニア'),
        _c('chef', 'Chef', '厨师', 'シェフ'),
        _c('musician', 'Musician', '音乐人', 'ミュージシャン'),
        _c('athlete', 'Athlete', '运动员'),
        _c('student', 'Student', '学生', '学生'),
        _c('doctor', 'Doctor', '医生', '医師'),
        _c('writer', 'Writer', '作家', '作家'),
        _c('vtuber', None),  # no label in any language: clients show the code
    ),
    'Relationship': (
        _c('friend', 'Friend', '朋友', '友達'),
        _c('partner', 'Partner', '恋人', '恋人'),
        _c('crush', 'Crush', '暗恋对象', '片思いの相手'),
        _c('colleague', 'Colleague', '同事', '同僚'),
        _c('neighbor', 'Neighbor', '邻居'),
        _c('mentor', 'Mentor', '导师', 'メンター'),
    ),
    'Fetish': (
        _c('romance', 'Romance', '浪漫', 'ロマンス'),
        _c('slow_burn', 'Slow burn', '慢热', 'じれじれ'),
        _c('banter', 'Banter', '斗嘴', '掛け合い'),
        _c('roleplay', 'Role-play', '角色扮演', 'ロールプレイ'),
        _c('cosplay', 'Cosplay', 'Cosplay', 'コスプレ'),
        _c('teasing', 'Teasing', '撩人'),
    ),
}

# Request field -> category, for validating cover/create bodies.
FIELD_CATEGORY = {
    'age': 'Age', 'ethnicity': 'Ethnicity', 'bodyType': 'BodyType', 'breastSize': 'BreastSize',
    'buttSize': 'ButtSize', 'hairColor': 'HairColor', 'hairStyle': 'HairStyle', 'voiceId': 'Voice',
    'personality': 'Personality', 'occupation': 'Occupation', 'relationship': 'Relationship', 'fetish': 'Fetish',
}

_INDEX: dict[tuple[str, str], Choice] = {(cat, c.code): c for cat, items in CATALOGUE.items() for c in items}


def find(category: str, code: str) -> Choice | None:
    return _INDEX.get((category, code))


def normalise_language(language: object) -> str:
    """Asked language if the sandbox knows it, else English (labels then fall back one by one)."""
    return language if isinstance(language, str) and language in LANGUAGES else 'en'


def options_for(gender: str | None, language: str) -> dict[str, list[tuple[Choice, str]]]:
    """Category -> [(choice, label)] for this gender (None = both genders and the common ones)."""
    result: dict[str, list[tuple[Choice, str]]] = {}
    for category, items in CATALOGUE.items():
        chosen = [(c, c.label(language)) for c in items if gender is None or gender in c.genders]
        if chosen:
            result[category] = chosen
    return result


def label_of(category: str, code: str | None, language: str) -> str | None:
    if not code:
        return None
    choice = find(category, code)
    return choice.label(language) if choice else code
