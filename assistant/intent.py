"""Purchase-intent scoring: how likely a viewer turn is a buyer who should go to the human host.

Owns the per-language lexicons (buy-now phrases, quantities, payment questions, bulk/wholesale,
asks for a person) and the rule that a viewer who asked about price, then stock, then shipping
is a buyer. The output is a score in 0..1 plus stable reason codes; the caller hands the viewer
over when score >= the market's `handoff_threshold` (default 0.6).

Weights are combined noisy-OR (1 - prod(1 - w)), so the score stays in 0..1 and grows with every
independent signal. Strong signals (BUY_NOW, HOW_TO_BUY, BULK, ASKS_FOR_HUMAN, REPEATED_PRE_SALES)
cross 0.6 alone; weak ones (PAYMENT 0.45, QUANTITY 0.40) do not alone but do together (0.67).

Matching is lexical on purpose: the comment stream runs at thousands of messages a second and
this sits on its hot path, so every pattern is compiled once and a call costs microseconds.
Latin-script languages are matched on a case-folded, accent-stripped form with word boundaries
(viewers often type without accents: "quero comprar", "chot don"); Thai, Japanese, Chinese,
Korean and Arabic are matched as substrings (no spaces, or particles glued to words). English
patterns are also tried for every language because viewers code-switch ("add to cart", "cod").
A short negation window ("don't want to buy", "不要买", "ไม่เอา") cancels buy/bulk matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.dialogue import Topic, Turn

# --- reason codes (stable: stored in handoff records and shown on the host console)
BUY_NOW = "buy_now"
HOW_TO_BUY = "how_to_buy"
QUANTITY = "quantity"
PAYMENT = "payment"
BULK = "bulk"
ASKS_FOR_HUMAN = "asks_for_human"
REPEATED_PRE_SALES = "repeated_pre_sales"

WEIGHTS: dict[str, float] = {
    BUY_NOW: 0.70,
    HOW_TO_BUY: 0.65,
    BULK: 0.70,
    ASKS_FOR_HUMAN: 0.70,
    REPEATED_PRE_SALES: 0.65,
    PAYMENT: 0.45,
    QUANTITY: 0.40,
}
_REASON_ORDER = tuple(WEIGHTS)

# Topics from the dialogue engine that are signals by themselves.
_TOPIC_SIGNALS = {Topic.PAYMENT: PAYMENT, Topic.HUMAN: ASKS_FOR_HUMAN, Topic.HOW_TO_BUY: HOW_TO_BUY}

# Pre-sales topic groups for the repeat rule: price, then stock, then shipping = a buyer.
_PRE_SALES_GROUP = {
    Topic.PRICE: "price",
    Topic.SALE: "price",
    Topic.CAMPAIGN: "price",
    Topic.STOCK: "stock",
    Topic.SIZE: "stock",
    Topic.COLOR: "stock",
    Topic.MATERIAL: "stock",
    Topic.SHIPPING: "shipping",
    Topic.DELIVERY: "shipping",
    Topic.PAYMENT: "payment",
    Topic.RETURNS: "returns",
}
REPEAT_MIN_GROUPS = 3
REPEAT_WINDOW = 6  # previous viewer turns considered

# A numeric quantity at or above this, with a unit ("50 pcs"), is a bulk order.
BULK_MIN_QUANTITY = 10

_SPACELESS = frozenset({"th", "ja", "zh", "ko", "ar"})

# Folding for Latin-script text: characters NFKD does not decompose to ASCII.
_LATIN_FOLD = str.maketrans(
    {"đ": "d", "ı": "i", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "’": "'", "`": "'"}
)
# Arabic: alef/yeh/teh-marbuta variants typed interchangeably; tatweel and harakat dropped.
_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ـ": None}
    | {chr(c): None for c in range(0x064B, 0x0653)}
)

# --- lexicons. Latin languages: written folded (lowercase, no accents). Order inside a signal
# does not matter; each list becomes one alternation.
_NUM_WORDS = {
    "en": "two|three|four|five|six|ten|a couple|a dozen",
    "es": "dos|tres|cuatro|cinco|seis|diez",
    "pt": "dois|duas|tres|quatro|cinco|seis|dez",
    "fr": "deux|trois|quatre|cinq|six|dix",
    "de": "zwei|drei|vier|funf|fuenf|sechs|zehn",
    "id": "dua|tiga|empat|lima|enam|sepuluh",
    "ms": "dua|tiga|empat|lima|enam|sepuluh",
    "vi": "hai|ba|bon|nam|sau|muoi",
    "tr": "iki|uc|dort|bes|alti|on",
}
_UNITS = {
    "en": r"pcs?|pieces?|units?|pairs?|sets?|boxes|box|packs?|items?|of (?:them|these|those|it)",
    "es": r"pzas?|piezas?|unidades|unidad|pares|par|cajas?|paquetes?|de (?:esos|esas|estos|estas)",
    "pt": r"pcs?|pecas?|unidades|unidade|pares|par|caixas?|kits?|deles|delas",
    "fr": r"pcs?|pieces?|unites?|paires?|exemplaires?|boites?|lots?",
    "de": r"stuck|stueck|stk|paar|packungen|packung|sets?|exemplare",
    "id": r"pcs?|biji|buah|pasang|unit|lusin|box|set|pack",
    "ms": r"pcs?|biji|buah|helai|pasang|unit|kotak|set|pack",
    "vi": r"cai|chiec|doi|bo|hop|sp|san pham|pcs?",
    "tr": r"adet|tane|cift|kutu|paket|set",
}
_NUM_UNITS_SPACELESS = (
    r"个|件|只|双|雙|套|盒|条|條|台|個|点|枚|着|足|セット|つ|개|벌|장|켤레|세트|"
    r"ชิ้น|ตัว|อัน|คู่|กล่อง|ชุด|قطع|قطعه|حبه|حبات"
)

_LEX: dict[str, dict[str, list[str]]] = {
    "en": {
        BUY_NOW: [
            r"i'?ll take (?:it|this|that|them|one|two|three|\d+|both|the)",
            r"i will take (?:it|this|that|them|one|\d+)",
            r"(?:want|wanna|need|like|going|gonna|planning|ready|got) (?:to )?"
            r"(?:buy|order|purchase|get this|get it|get one|grab|"
            r"make (?:a |an )?(?:purchase|order))",
            r"i want (?:it|this|that|one|two|both|them|\d+)\b(?=\s*(?:[!.,?]|$|please|pls|now|"
            r"too|in|for me))",
            r"(?:can|could|may) i (?:buy|order|purchase|get one|get this|have one)",
            r"(?:need|want|like|can|could|would|will) (?:to )?(?:you|u) (?:to )?"
            r"(?:buy|order|purchase)\b",
            # Imperatives at the start of a message: "buy ...", "purchase ...", "order me ...".
            r"^(?:\W*(?:please|pls|plz|alexa|siri|hey)\W*)*(?:(?:buy|purchase) \w|"
            r"order (?:me|it|this|that|one|some|a|an|the|my|all|everything|more|\d)|"
            r"(?:get|grab) me )",
            r"(?:buy|order|purchase) (?:it|this|that|one|them|some)(?: \w+)? (?:now|today|please|"
            r"pls|for me)",
            r"(?:buy|order|purchase) (?:me|us) ",
            r"so i can (?:buy|order|purchase)",
            r"(?:place|put in|submit) (?:an |a |my |the )?(?:\w+ )?order\b(?! status)",
            r"(?:make|making) (?:an |a )?order\b",
            r"(?:i'?ve|i have|i) got to (?:buy|order|purchase)",
            r"add (?:it |this |that |them |one )?to (?:my |the )?(?:cart|basket|bag)",
            r"(?:check ?out|checkout) now",
            r"take my money|shut up and take|sold!|^mine!?$|^sold\W*$|i'?m buying|count me in",
            r"reserve (?:one|it|this|that) for me|hold (?:one|it|this) for me",
            r"i'?ll buy|i will buy|i'?d buy|buying (?:it|this|that|one|two|now)",
        ],
        HOW_TO_BUY: [
            r"how (?:do|can|could|would|should|to) (?:i |we )?(?:buy|order|purchase|get one|"
            r"make (?:a |an )?(?:purchase|order))",
            r"how (?:do|can|could) i check ?out",
            r"where (?:do|can|could|should|would) (?:i|we) (?:buy|order|purchase)",
            r"(?:possible|way|able) to (?:buy|order|purchase)",
            r"(?:help|assist|let) (?:me |us )?(?:to )?(?:buy|order|purchase|make a purchase)",
            r"what (?:do|should) i (?:have to |need to )?do to (?:buy|order|purchase)",
            r"to do to (?:buy|order|purchase)",
            r"where(?:'s| is) the (?:link|checkout)|link (?:to|for) (?:buy|order|purchase)",
        ],
        BULK: [
            r"wholesale|in bulk|bulk (?:order|buy|purchase|price|pricing|discount|deal)",
            r"resell(?:er|ing)?|reseller price|distributor|dropship(?:ping|per)?",
            r"custom (?:order|made|design|logo|print)|customi[sz]ed? (?:order|logo|print)",
            r"oem (?:order|service|production)|b2b|for my (?:shop|store|business|company)|"
            r"volume discount",
            r"(?:a |in )?large (?:order|quantity|quantities)",
        ],
        ASKS_FOR_HUMAN: [
            r"(?:(?:talk|speak|chat)(?:ing)?|connect me|transfer me|put me through) (?:to|with) "
            r"(?:a |an |the |some |your |real |live )*"
            r"(?:human|person|agent|someone|somebody|someody|host|seller|owner|rep|"
            r"representative|operator|manager|staff|customer (?:service|support|care|assistance)|"
            r"support|assistant)",
            # "are you a real person?" asks what the bot is; wanting one asks for a handoff.
            r"(?:want|need|get me|give me|prefer|is there) (?:a |an |to talk to a )?"
            r"(?:real|live|actual) (?:person|human|agent)",
            r"(?:contact|call|reach|get in touch with) (?:an? |the |some |your )?"
            r"(?:agent|human|person|operator|someone|somebody|seller|host|customer (?:service|"
            r"support|care|assistance)|support)",
            r"customer (?:service|support|care|assistance)",
            r"(?:dm|pm|inbox|message|whatsapp|call) me\b",
            r"(?:are you|is this) a (?:bot|robot)\?.*(?:human|person)|human please|agent please",
        ],
        PAYMENT: [
            r"how (?:do|can|could|should|to) (?:i |we )?pay\b",
            r"(?:pay|paying|payment) (?:with|by|via|through|using|in installments|in cash|upon)",
            r"payment (?:method|option|plan)s?|(?:method|way)s? (?:of|to) pay",
            r"(?:take|accept) (?:cards?|credit|debit|paypal|cash|apple pay|visa|mastercard|amex)",
            r"paypal|venmo|zelle|cash ?app|klarna|afterpay|affirm|apple pay|google pay|shop pay",
            r"credit card|debit card|cash on delivery|\bcod\b|installments?|pay later|"
            r"bank transfer",
        ],
    },
    "es": {
        BUY_NOW: [
            r"lo quiero|la quiero|los quiero|las quiero|yo quiero|me lo llevo|me la llevo|"
            r"me los llevo|me las llevo|me llevo",
            r"quiero (?:comprar|pedir|ordenar|uno|una|dos|tres|este|esta|ese|esa|\d)",
            r"(?:voy a|quisiera|deseo|necesito) (?:comprar|pedir|ordenar)",
            r"(?:agregar|anadir|agrega|anade|agregame)(?:lo|la)? al carrito",
            r"(?:hacer|realizar) (?:un |el |mi )?pedido|apartame|apartalo|apartala|"
            r"separame|me apuntas|compro\b|lo compro|la compro|comprare",
        ],
        HOW_TO_BUY: [r"(?:como|donde) (?:lo |la )?(?:puedo |se )?(?:compro|comprar|compra|pido|"
                     r"hago (?:el |un )?pedido)", r"link de compra"],
        BULK: [r"mayoreo|al por mayor|mayorista|precio de mayoreo|revender|revendedor|"
               r"por volumen|pedido (?:grande|personalizado)|para mi (?:tienda|negocio)"],
        ASKS_FOR_HUMAN: [
            r"hablar con (?:un |una |el |la |alguien|algun |alguna )?(?:humano|persona|asesor|"
            r"asesora|agente|vendedor|vendedora|encargad[oa]|anfitrion|host|alguien)",
            r"persona real|atencion al cliente|servicio al cliente|mandame (?:dm|mensaje|whats)",
        ],
        PAYMENT: [
            r"como (?:pago|se paga|puedo pagar|pagar)|(?:pagar|pago) (?:con|por|en|contra)",
            r"(?:formas?|metodos?|opciones) de pago|tarjeta|meses sin intereses|\bmsi\b|oxxo|"
            r"mercado ?pago|efectivo|contra ?entrega|transferencia|paypal|a plazos|cuotas",
        ],
    },
    "pt": {
        BUY_NOW: [
            r"quero (?:comprar|pedir|encomendar|levar|um|uma|dois|duas|esse|essa|este|esta|\d)",
            r"(?:vou|eu vou) (?:levar|querer|comprar)|eu levo|eu quero|quero sim|quero!",
            r"(?:adicionar|colocar|coloca) (?:no|ao) carrinho|fechar (?:o )?pedido|"
            r"fazer (?:o |um |meu )?pedido|separa (?:um|uma|pra mim)|reserva (?:pra|para) mim|"
            r"compro\b|vou comprar|comprei agora",
        ],
        HOW_TO_BUY: [r"(?:como|onde) (?:eu )?(?:posso |faco para |faco pra )?"
                     r"(?:compro|comprar|compra|peco|pedir|fazer (?:o )?pedido)",
                     r"link (?:de|pra|para) compra"],
        BULK: [r"atacado|no atacado|revenda|revendedor|revendedora|revender|distribuidor|"
               r"preco de atacado|pedido (?:grande|personalizado)|para (?:minha|a minha) loja"],
        ASKS_FOR_HUMAN: [
            r"falar com (?:um |uma |o |a |alguem|algum |alguma )?(?:atendente|humano|pessoa|"
            r"vendedor|vendedora|apresentador|apresentadora|host|responsavel|alguem)",
            r"pessoa real|atendimento humano|me chama no (?:privado|direct|whats)|chama no pv",
        ],
        PAYMENT: [
            r"\bpix\b|boleto|parcel(?:ar|ado|as|a|o)|sem juros|em \d+ ?x|cartao|"
            r"como (?:eu )?(?:pago|faco o pagamento|posso pagar)|forma(?:s)? de pagamento|"
            r"(?:pagar|pago) (?:com|no|na|por|via)|paypal|mercado ?pago",
        ],
    },
    "fr": {
        BUY_NOW: [
            r"je (?:le|la|les|l') ?prends|je prends|je (?:veux|voudrais|vais|souhaite) "
            r"(?:l'|le |la |les )?(?:acheter|commander|prendre)|je l'achete|je (?:le|la) veux",
            r"(?:ajouter|ajoute|mettre|mets)(?:-le|-la)? (?:au|dans le|dans mon) panier|"
            r"passer (?:une |la |ma )?commande|je commande|j'achete|je vais l'acheter",
        ],
        HOW_TO_BUY: [r"comment (?:je peux |puis-je |on peut |faire pour )?(?:acheter|commander)|"
                     r"ou (?:est-ce qu'on peut |puis-je |je peux )?(?:acheter|commander)"],
        BULK: [r"en gros|grossiste|prix de gros|revendeur|revendre|distributeur|"
               r"commande (?:groupee|personnalisee|en volume)|pour ma boutique"],
        ASKS_FOR_HUMAN: [
            r"parler (?:a|avec) (?:un |une |le |la |l'|quelqu'un|une vraie )?(?:humain|conseiller|"
            r"conseillere|vendeur|vendeuse|personne|agent|animateur|animatrice|quelqu'un|"
            r"service client)",
            r"vraie personne|service client|contactez[- ]moi|ecrivez[- ]moi en (?:mp|prive)",
        ],
        PAYMENT: [
            r"comment (?:je )?(?:paie|paye|payer|regler)|payer (?:par|avec|en)|paiement|"
            r"carte bancaire|\bcb\b|paypal|en plusieurs fois|virement|a la livraison",
        ],
    },
    "de": {
        BUY_NOW: [
            r"ich nehme|nehm ich|ich (?:will|mochte|moechte|wurde|wuerde) (?:es |das |ihn |sie |"
            r"eins |einen |eine |zwei |gerne |gern )*(?:kaufen|bestellen|haben|nehmen)",
            r"ich kaufe|ich bestelle|kauf ich|(?:in den|zum) warenkorb|jetzt (?:kaufen|bestellen)",
        ],
        HOW_TO_BUY: [r"wie (?:kann ich |kann man )?(?:kaufen|bestellen|kauf ich|bestell ich)|"
                     r"wo (?:kann ich |kann man )?(?:kaufen|bestellen)"],
        BULK: [r"grosshandel|grossmengen?|mengenrabatt|wiederverkaufer|wiederverkaeufer|"
               r"handler ?preis|haendlerpreis|grossbestellung|b2b|fur meinen (?:laden|shop)"],
        ASKS_FOR_HUMAN: [
            r"(?:mit|zu) (?:einem |einer |dem |der |jemandem )?(?:mitarbeiter|mitarbeiterin|"
            r"menschen|person|berater|beraterin|verkaufer|verkauferin|moderator|moderatorin|"
            r"jemandem) (?:sprechen|reden|chatten|verbinden)",
            r"echte(?:n|r)? (?:person|mensch)|kundenservice|kundendienst",
        ],
        PAYMENT: [
            r"wie (?:kann ich )?(?:bezahlen|zahlen)|(?:bezahlen|zahlen) (?:mit|per|uber|ueber)|"
            r"zahlungs(?:art|arten|methode|methoden|moglichkeiten)|zahlung|paypal|klarna|"
            r"rechnung|nachnahme|ratenzahlung|raten|kreditkarte|uberweisung|ueberweisung",
        ],
    },
    "id": {
        BUY_NOW: [
            r"(?:mau|pengen|pingin|ingin|aku|saya|gue|gw) (?:beli|ambil|order|pesan|checkout|co)\b",
            r"(?:beli|ambil|order|pesan) (?:satu|dua|tiga|empat|lima|\d|yang|yg|ini|itu|kak|sis)",
            r"(?:masuk(?:in|kan)?|tambah(?:in|kan)?) (?:ke )?keranjang|langsung (?:co|checkout)|"
            r"\bkeep\b|\bco\b|checkout",
        ],
        HOW_TO_BUY: [r"(?:gimana|bagaimana|cara) (?:cara )?(?:beli|order|pesan|belinya|ordernya)|"
                     r"(?:beli|order)(?:nya)? (?:dimana|di mana|gimana|bagaimana)"],
        BULK: [r"grosir|harga grosir|reseller|dropship(?:per)?|\bagen\b|partai besar|borongan|"
               r"beli banyak|jumlah banyak|untuk (?:toko|usaha) saya"],
        ASKS_FOR_HUMAN: [
            r"(?:bicara|ngobrol|chat|hubungi|sambungkan|sambungin|ngomong) (?:dengan |sama |ke )?"
            r"(?:admin|cs|orang|manusia|penjual|host|customer service|petugas|agen)",
            r"orang (?:asli|beneran)|(?:dm|pm|wa|japri) (?:aku|saya|dong|ya)",
        ],
        PAYMENT: [
            r"(?:cara )?bayar(?:nya)? (?:pakai|pake|via|dengan|gimana|bagaimana|bisa)|cara bayar|"
            r"pembayaran|\bcod\b|transfer|gopay|\bovo\b|\bdana\b|shopeepay|qris|cicilan|"
            r"paylater|virtual account|kartu kredit",
        ],
    },
    "ms": {
        BUY_NOW: [
            r"(?:nak|mahu|hendak|saya|sy|aku) (?:beli|ambil|order|pesan|checkout)\b",
            r"(?:beli|ambil|order) (?:satu|dua|tiga|empat|lima|\d|yang|ni|ini|tu)",
            r"(?:masuk|tambah) (?:ke )?(?:troli|cart|bakul)|\bcheckout\b|\bco\b",
        ],
        HOW_TO_BUY: [r"(?:macam mana|camne|cara|bagaimana) (?:nak |untuk )?(?:beli|order|pesan)|"
                     r"(?:beli|order) (?:di mana|kat mana|mana)"],
        BULK: [r"borong|harga borong|pemborong|reseller|dropship(?:per)?|ejen|stokis|"
               r"beli banyak|kuantiti besar|untuk kedai saya"],
        ASKS_FOR_HUMAN: [
            r"(?:cakap|bercakap|chat|hubungi|sambung) (?:dengan |kepada |ke )?(?:admin|orang|"
            r"manusia|penjual|host|customer service|staf|ejen)",
            r"orang sebenar|(?:pm|dm|whatsapp|wasap) (?:saya|sy|aku)",
        ],
        PAYMENT: [
            r"cara (?:nak )?bayar|bayar (?:guna|pakai|dengan|macam mana|camne)|pembayaran|"
            r"\bcod\b|\bfpx\b|online banking|ansuran|atome|touch ?n ?go|\btng\b|grabpay|"
            r"kad kredit|transfer",
        ],
    },
    "vi": {
        BUY_NOW: [
            r"\bchot\b|chot don|(?:em|minh|toi|tui|anh|chi|con) (?:lay|mua|dat|chot)\b",
            r"(?:muon|can|se) (?:mua|dat|lay)|dat hang|len don|(?:lay|mua) (?:\d|mot|hai|ba|"
            r"cai|chiec|bo|luon)|cho (?:em|minh|toi) (?:\d|mot|hai|ba|1)",
            r"them vao gio|(?:bo|cho) vao gio",
        ],
        HOW_TO_BUY: [r"(?:mua|dat hang|dat) (?:nhu the nao|the nao|sao|o dau)|"
                     r"lam sao (?:de )?(?:mua|dat)|cach (?:mua|dat hang)"],
        BULK: [r"\bsi\b|ban si|gia si|lay si|ban buon|buon si|dai ly|cong tac vien|\bctv\b|"
               r"so luong lon|dat may|in logo"],
        ASKS_FOR_HUMAN: [
            r"(?:gap|noi chuyen voi|lien he|ket noi) (?:voi )?(?:nhan vien|nguoi that|admin|"
            r"chu shop|shop|host|tu van vien)",
            r"\bib\b|inbox|nhan tin (?:cho )?(?:em|minh)|tu van (?:rieng|cho em|cho minh)",
        ],
        PAYMENT: [
            r"thanh toan|chuyen khoan|\bck\b|\bcod\b|tra gop|the tin dung|momo|zalopay|"
            r"vnpay|tra tien (?:the nao|sao)|ship cod",
        ],
    },
    "tr": {
        BUY_NOW: [
            r"satin al(?:mak|icam|acagim|iyorum)|(?:almak|sipariş vermek|siparis vermek) "
            r"istiyorum|aliyorum|alirim|alacagim|bunu al|ben aldim|sepete (?:ekle|ekliyorum)",
            r"siparis (?:ver|veriyorum|verecegim|vermek)|(?:bir|iki|uc|\d+) (?:tane|adet) "
            r"(?:alayim|alacagim|istiyorum|lutfen)",
        ],
        HOW_TO_BUY: [r"nasil (?:satin )?(?:alabilirim|alirim|siparis verebilirim|siparis veririm)|"
                     r"nereden (?:alabilirim|satin alabilirim|siparis)"],
        BULK: [r"toptan|toptanci|bayi|bayilik|yuksek adet|cok adet|toplu (?:siparis|alim)|"
               r"magazam icin"],
        ASKS_FOR_HUMAN: [
            r"(?:biriyle|birisiyle|temsilciyle|yetkiliyle|insanla|satici ile|saticiyla|"
            r"musteri hizmetleriyle) (?:gorusmek|konusmak|gorusebilir|konusabilir)",
            r"musteri hizmetleri|canli destek|gercek (?:kisi|insan)|temsilci|yetkili",
        ],
        PAYMENT: [
            r"odeme|odemeyi|kapida odeme|taksit|kredi karti|havale|\beft\b|nasil (?:odeyebilirim|"
            r"oderim)|papara",
        ],
    },
    "ja": {
        BUY_NOW: [
            r"買いたい|買います|買う[!！]?$|購入したい|購入します|注文したい|注文します|"
            r"ポチ|カートに入れ|これにします|(?:これ|それ|あれ|\d+つ|一つ|二つ|ひとつ|ふたつ|"
            r"\d+個)(?:を)?(?:ください|下さい|お願い)|欲しい|ほしいです|予約したい",
        ],
        HOW_TO_BUY: [r"(?:どうやって|どこで|どこから)(?:買|購入|注文)|買い方|購入方法|注文方法"],
        BULK: [r"卸|まとめ買い|大量|業務用|法人|ロット|仕入れ"],
        ASKS_FOR_HUMAN: [r"担当者|オペレーター|人と話|人間と|スタッフと話|店員さんと|"
                         r"配信者と話|有人"],
        PAYMENT: [r"支払い|支払|払い方|決済|クレジットカード|代引き|コンビニ払い|paypay|"
                  r"分割|後払い|振込"],
    },
    "zh": {
        BUY_NOW: [
            r"我要买|我要買|我要了|想买|想買|要买|要買|购买|購買|下单|下單|拍下|拍了|加购|"
            r"加入购物车|加入購物車|买一|买两|買一|買兩|来一|来两|來一|來兩|给我来|给我留|"
            r"我要(?:这|那|這|一|两|兩|\d|[!！。]?$)",
        ],
        HOW_TO_BUY: [r"怎么买|怎麼買|怎么下单|怎麼下單|在哪买|在哪買|哪里买|哪裡買|"
                     r"如何购买|如何購買"],
        BULK: [r"批发|批發|大量|团购|團購|代理|定制|訂製|量大|拿货|拿貨"],
        ASKS_FOR_HUMAN: [r"人工|客服|真人|(?:找|联系|聯繫|和|跟)主播|转人工|轉人工|私信我|私聊"],
        PAYMENT: [r"怎么付|怎麼付|怎么支付|付款|支付宝|支付寶|微信支付|货到付款|貨到付款|分期|"
                  r"信用卡|支付方式|paypal"],
    },
    "ko": {
        BUY_NOW: [
            r"살게요|살래요|살게|사고 ?싶|구매할게|구매하고 ?싶|구매할래|주문할게|주문하고 ?싶|"
            r"주문할래|장바구니|이걸로 할게|(?:이거|그거|저거|\d+ ?개|하나|두 ?개) ?주세요|찜",
        ],
        HOW_TO_BUY: [r"어떻게 (?:사|구매|주문)|어디서 (?:사|구매|주문)|구매 ?방법|주문 ?방법"],
        BULK: [r"도매|대량|대량 ?구매|공구|업체|납품|주문 ?제작"],
        ASKS_FOR_HUMAN: [r"상담원|상담사|사람이랑|사람과|사람하고|직원(?:이랑|과|하고|분)|"
                         r"호스트(?:랑|와|하고)|판매자(?:랑|와|하고)|연결해"],
        PAYMENT: [r"결제|카드|무통장|계좌 ?이체|할부|카카오페이|네이버페이|토스|입금"],
    },
    "th": {
        BUY_NOW: [
            r"อยากซื้อ|จะซื้อ|ขอซื้อ|สั่งซื้อ|ขอสั่ง|จะสั่ง|อยากสั่ง|\bcf\b|ซีเอฟ|จองค่ะ|จองครับ|"
            # bare "เอา" (take) starts many other phrases ("เอาไปใช้..."): only as an order
            r"เอา(?:ค่ะ|คะ|ครับ|จ้า|ด้วย|\s*\d|ชิ้น|ตัว|หนึ่ง|สอง|สาม|อันนี้|ตัวนี้|\s*$)",
        ],
        HOW_TO_BUY: [r"ซื้อ(?:ยังไง|อย่างไร|ได้ที่ไหน|ที่ไหน)|สั่ง(?:ยังไง|อย่างไร)|วิธีสั่ง|วิธีซื้อ"],
        BULK: [r"ขายส่ง|ราคาส่ง|ยกแพ็ค|ยกลัง|ตัวแทน|จำนวนมาก|ทีละเยอะ"],
        ASKS_FOR_HUMAN: [r"(?:คุยกับ|ติดต่อ|ขอคุย(?:กับ)?)(?:คน|แอดมิน|เจ้าหน้าที่|พนักงาน|ร้าน|"
                         r"โฮสต์|แม่ค้า)|คนจริง|ทักแชท"],
        PAYMENT: [r"จ่าย|ชำระ|โอน|เก็บเงินปลายทาง|ปลายทาง|\bcod\b|บัตรเครดิต|ผ่อน|พร้อมเพย์"],
    },
    "ar": {
        BUY_NOW: [
            r"اريد (?:شراء|اشتري|اطلب|طلب|هذا|هذه|واحد)|ابغى|ابغي|ابي (?:اشتري|اطلب|واحد|هذا)|"
            r"بشتري|ساشتري|سآخذ|ساخذ|باخذ|اطلب|اضف(?:ه|ها)? (?:الى|إلى) السله|اشتريه|ودي اشتري",
        ],
        HOW_TO_BUY: [r"كيف (?:اشتري|اطلب|الطلب|الشراء)|(?:وين|اين|من وين) (?:اشتري|اطلب)|"
                     r"طريقه (?:الشراء|الطلب)"],
        BULK: [r"بالجمله|جمله|كميه كبيره|كميات|موزع|اعاده البيع|لمتجري"],
        ASKS_FOR_HUMAN: [r"موظف|شخص حقيقي|خدمه العملاء|(?:اكلم|اتكلم مع|التحدث مع|تواصل مع) "
                         r"(?:احد|شخص|المضيف|البائع|الدعم)"],
        PAYMENT: [r"الدفع|ادفع|الدفع عند الاستلام|بطاقه|تقسيط|تابي|تمارا|بطاقه مدى|كاش|تحويل"],
    },
}

_NEGATORS = {
    "en": {"not", "don't", "dont", "never", "no", "won't", "wont", "can't", "cant", "didn't",
           "didnt", "cannot", "doesn't", "doesnt", "isn't"},
    "es": {"no", "nunca", "tampoco", "ni"},
    "pt": {"nao", "nunca", "nem"},
    "fr": {"ne", "pas", "n'", "jamais"},
    "de": {"nicht", "kein", "keine", "keinen", "nie"},
    "id": {"tidak", "tak", "gak", "nggak", "ga", "enggak", "bukan", "jangan", "belum", "ndak"},
    "ms": {"tidak", "tak", "x", "bukan", "jangan", "belum", "tk"},
    "vi": {"khong", "chua", "ko", "k", "hong", "kg", "dung"},
    "tr": {"degil", "yok"},
}
# Words that end a negation's scope: "I don't know how to buy" is still a buyer.
_NEGATION_BREAKERS = frozenset({"know", "sure", "understand", "see", "sabe", "sei", "sais",
                                "weiss", "tahu", "tau", "biet", "bilmiyorum", "find"})
_SPACELESS_NEGATORS = re.compile(r"(?:不|没|別|别|沒|안 ?|못 ?|ไม่|لا ?|لن ?|ما ?|مش ?)$")

_WORD = re.compile(r"[\w']+")
# "60 piece set" describes the product, not how many the viewer wants.
_NUMBER_UNIT_TMPL = r"(?<![\w.,])(\d{{1,5}})\s*(?:{units})(?!\w)(?!\s*(?:set|kit|pack|puzzle))"
_X_QUANTITY = re.compile(r"(?<![\w.,])(?:x\s?\d{1,4}|\d{1,4}\s?x)(?!\w)")
_INSTALLMENT_BEFORE = re.compile(r"(?:\bem|\ben|\bin)\s*$")
_SPACELESS_QUANTITY = re.compile(
    rf"(\d{{1,5}})\s*(?:{_NUM_UNITS_SPACELESS})|两个|两件|两套|兩個|兩件|三个|三件|二つ|三つ|"
    r"ふたつ|みっつ|두 ?개|세 ?개|두 ?벌|สองชิ้น|สองตัว|สามชิ้น|قطعتين|حبتين"
)


@dataclass(frozen=True)
class IntentScore:
    score: float  # 0..1
    reasons: tuple[str, ...]  # stable reason codes, strongest first


@dataclass(frozen=True, slots=True)
class _LangRules:
    lang: str
    spaceless: bool
    signals: tuple[tuple[str, re.Pattern[str]], ...]
    quantity_unit: re.Pattern[str] | None
    number_words: re.Pattern[str] | None
    negators: frozenset[str]


def _compile_lang(lang: str) -> _LangRules:
    spaceless = lang in _SPACELESS
    signals = []
    for signal, patterns in _LEX[lang].items():
        body = "|".join(f"(?:{p})" for p in patterns)
        # Word boundaries only where words are separated by spaces.
        src = body if spaceless else rf"(?<![\w])(?:{body})"
        signals.append((signal, re.compile(src)))
    quantity_unit = number_words = None
    if lang in _UNITS:
        quantity_unit = re.compile(_NUMBER_UNIT_TMPL.format(units=_UNITS[lang]))
        number_words = re.compile(
            rf"(?<!\w)(?:{_NUM_WORDS[lang]})(?P<unit>\s+(?:{_UNITS[lang]}))?(?!\w)"
        )
    return _LangRules(
        lang=lang,
        spaceless=spaceless,
        signals=tuple(signals),
        quantity_unit=quantity_unit,
        number_words=number_words,
        negators=frozenset(_NEGATORS.get(lang, ())),
    )


def _fold_latin(text: str) -> str:
    text = text.casefold().translate(_LATIN_FOLD)
    if text.isascii():
        return text
    # NFKD splits accents off; dropping non-ASCII then removes them (and emoji, which carry no
    # intent). Non-Latin scripts are matched on the other form, see IntentScorer.score.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _fold_other(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_FOLD)


class IntentScorer:
    """Scores one viewer turn. Stateless after construction; safe to share across tasks."""

    def __init__(self) -> None:
        self._rules = {lang: _compile_lang(lang) for lang in _LEX}
        self._spaceless_langs = tuple(self._rules[lang] for lang in sorted(_SPACELESS))

    def score(
        self,
        text: str,
        lang: str,
        *,
        topics: Sequence[Topic] = (),
        history: Sequence[Turn] = (),
    ) -> IntentScore:
        lang = (lang or "").split("-")[0].split("_")[0].lower()
        found: set[str] = set()
        for topic in topics:
            signal = _TOPIC_SIGNALS.get(topic)
            if signal:
                found.add(signal)

        latin = _fold_latin(text)
        primary = self._rules.get(lang)
        if primary is None:
            # Unknown language: every Latin lexicon (the script decides the rest below).
            candidates = [r for r in self._rules.values() if not r.spaceless]
        else:
            candidates = [primary] if lang == "en" else [primary, self._rules["en"]]
        for rules in candidates:
            self._match(rules, latin, found)

        if not text.isascii():
            other = _fold_other(text)
            # Short messages are often mis-detected; a non-Latin script is unambiguous enough
            # to try every spaceless lexicon rather than only the detected language.
            pool = [primary] if primary is not None and primary.spaceless else []
            pool += [r for r in self._spaceless_langs if r is not primary]
            for rules in pool:
                self._match(rules, other, found)
            self._spaceless_quantity(other, found)

        if self._repeated_pre_sales(topics, history):
            found.add(REPEATED_PRE_SALES)

        if not found:
            return IntentScore(0.0, ())
        remaining = 1.0
        for signal in found:
            remaining *= 1.0 - WEIGHTS[signal]
        reasons = tuple(r for r in _REASON_ORDER if r in found)
        return IntentScore(round(1.0 - remaining, 4), reasons)

    # --- signals

    def _match(self, rules: _LangRules, text: str, found: set[str]) -> None:
        for signal, pattern in rules.signals:
            if signal in found:
                continue
            for m in pattern.finditer(text):
                if signal in (PAYMENT, ASKS_FOR_HUMAN) or not self._negated(rules, text, m.start()):
                    found.add(signal)
                    break
        if rules.quantity_unit is not None:
            self._latin_quantity(rules, text, found)

    def _latin_quantity(self, rules: _LangRules, text: str, found: set[str]) -> None:
        assert rules.quantity_unit is not None and rules.number_words is not None
        for m in rules.quantity_unit.finditer(text):
            found.add(QUANTITY)
            if int(m.group(1)) >= BULK_MIN_QUANTITY:
                found.add(BULK)
        if QUANTITY not in found:
            for m in _X_QUANTITY.finditer(text):
                # "em 10x sem juros" / "in 3x" are instalments, not quantities.
                if not _INSTALLMENT_BEFORE.search(text, 0, m.start()):
                    found.add(QUANTITY)
                    break
        if QUANTITY not in found:
            m = rules.number_words.search(text)
            # A bare number word only counts in a short message ("dos", "mau tiga"); in a longer
            # one it is usually something else ("do you have two colors?").
            if m and (m.group("unit") or len(text.split()) <= 3):
                found.add(QUANTITY)

    @staticmethod
    def _spaceless_quantity(text: str, found: set[str]) -> None:
        m = _SPACELESS_QUANTITY.search(text)
        if m:
            found.add(QUANTITY)
            if m.group(1) and int(m.group(1)) >= BULK_MIN_QUANTITY:
                found.add(BULK)

    @staticmethod
    def _negated(rules: _LangRules, text: str, start: int) -> bool:
        if rules.spaceless:
            return bool(_SPACELESS_NEGATORS.search(text, max(0, start - 3), start))
        before = _WORD.findall(text, max(0, start - 30), start)[-3:]
        for word in reversed(before):
            if word in _NEGATION_BREAKERS:
                return False
            if word in rules.negators:
                return True
        return False

    @staticmethod
    def _repeated_pre_sales(topics: Sequence[Topic], history: Sequence[Turn]) -> bool:
        current = {_PRE_SALES_GROUP[t] for t in topics if t in _PRE_SALES_GROUP}
        if not current:
            return False  # only a pre-sales question can complete the pattern
        groups = set(current)
        turns = 1
        viewer_turns = [t for t in history if t.role == "viewer"][-REPEAT_WINDOW:]
        for turn in viewer_turns:
            if turn.topic in _PRE_SALES_GROUP:
                groups.add(_PRE_SALES_GROUP[turn.topic])
                turns += 1
        return turns >= REPEAT_MIN_GROUPS and len(groups) >= REPEAT_MIN_GROUPS
