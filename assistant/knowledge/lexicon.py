"""Per-language phrase tables the grounded engine matches viewer messages against.

Everything here is data: which words signal which topic, which words point at the product on
stage, colour words, short country names, size-chart labels. The engine (grounded.py) normalizes
these phrases exactly like it normalizes a message (NFKC, casefold, accents stripped for Latin
and Arabic script, punctuation to spaces), so they may be written naturally, with accents.

Phrase syntax (one comma-separated string per entry, to keep 14 languages readable):
    "~phrase"   weak: only counts when no ordinary phrase of another topic matched
                ("do you have", "hay", "ada" say little on their own)
    "phrase*"   prefix: matches at a word start, any ending (Turkish/Indonesian suffixes,
                German compounds: "versand*" matches "versandkosten")
Phrases in Thai, Japanese and Chinese script (no spaces between words) and in Korean and Arabic
script (particles and articles glued to words) match as substrings; every other phrase matches on
word boundaries. The choice follows the phrase's script, not the message language, so an English
product name inside a Japanese message still matches.
"""

from __future__ import annotations

from assistant.dialogue import Topic

T = Topic

# ---------------------------------------------------------------------------------------------
# Topic phrases. English is also matched for every other language: viewers mix it in ("size M
# ada?", "ship to Malaysia?").

TOPICS: dict[str, dict[Topic, str]] = {
    "en": {
        T.PRICE: "price*, pricing, ~how much, ~cost, ~costs, ~how many dollars",
        T.SALE: "sale, on sale, discount*, promo*, deal, deals, coupon*, voucher*, cheaper, "
        "markdown, ~off, any offer*",
        T.SIZE: "size chart, size guide, sizing, which size, what size, fit, fits, true to size, "
        "runs small, runs large, runs big, measurements, how big, dimensions",
        T.STOCK: "in stock, stock, available, availability, sold out, any left, left, restock*, "
        "out of stock, still have, ~do you have, ~got any, ~is there",
        T.COLOR: "color*, colour*, shade*, what colors",
        T.MATERIAL: "material*, fabric*, made of, made from, cotton, polyester, leather, wool",
        T.SHIPPING: "ship*, deliver to, postage, send to, send it to, international",
        T.DELIVERY: "how long, delivery time, delivery, arrive*, how many days, how fast, eta, "
        "when will i get, when will it come",
        T.RETURNS: "return*, refund*, exchange*, send it back, money back",
        T.PAYMENT: "pay, paying, payment*, paypal, visa, mastercard, credit card, debit card, "
        "card*, installment*, instalment*, afterpay, klarna, cod, cash on delivery, apple pay",
        T.CAMPAIGN: "campaign*, event*, giveaway, contest, lucky draw, challenge",
        T.HOW_TO_BUY: "how to buy, how do i buy, how can i buy, how to order, how do i order, "
        "how can i order, where to buy, where can i buy, checkout, check out, add to cart, "
        "i want it, i ll take, i want to buy, link, ~buy, ~purchase, ~order",
        T.HUMAN: "talk to, speak to, speak with, talk with, real person, human, agent, "
        "customer service, call me, ~someone, ~contact",
        T.GREETING: "hi, hello, hey, hiya, good morning, good evening, good afternoon, "
        "how are you, love it, so cute, so pretty, nice, lol, haha, wow",
    },
    "es": {
        T.PRICE: "precio*, costo, que precio, ~cuanto cuesta, ~cuanto vale, ~cuanto es, "
        "~cuanto sale, ~a cuanto, ~cuanto",
        T.SALE: "descuento*, oferta*, rebaja*, promocion*, promo, cupon*, mas barato, en oferta",
        T.SIZE: "que talla, tabla de talla*, guia de talla*, medidas, como queda, horma, me queda, "
        "calce, que numero",
        T.STOCK: "disponible*, stock, existencia*, agotad*, quedan, queda, inventario, hay stock, "
        "~hay, ~tienen, ~tienes, ~tiene",
        T.COLOR: "color*, que colores, otros colores, tono*",
        T.MATERIAL: "material*, tela, de que esta hech*, algodon, cuero, tejido",
        T.SHIPPING: "envio*, envian, enviar, envias, hacen envios, mandan, costo de envio, "
        "envio gratis, llega a, envios internacionales",
        T.DELIVERY: "cuanto tarda*, cuantos dias, cuando llega, tiempo de entrega, entrega, "
        "demora, tarda en llegar, en cuanto llega",
        T.RETURNS: "devolucion*, devolv*, reembolso*, cambio, cambios, puedo cambiar",
        T.PAYMENT: "pago*, pagar, formas de pago, metodos de pago, tarjeta*, paypal, cuotas, "
        "meses sin intereses, contra entrega, contraentrega, efectivo",
        T.CAMPAIGN: "campana*, evento, sorteo, concurso, dinamica",
        T.HOW_TO_BUY: "como compro, como comprar, como lo compro, donde compro, como pido, "
        "como hago el pedido, hacer un pedido, lo quiero, me lo llevo, enlace, link, ~comprar, "
        "~compro, ~pedido",
        T.HUMAN: "hablar con, una persona, persona real, humano, asesor*, atencion al cliente, "
        "anfitriona, alguien",
        T.GREETING: "hola, buenos dias, buenas tardes, buenas noches, buenas, saludos, que tal, "
        "que lindo, hermoso, bonito",
    },
    "pt": {
        T.PRICE: "preco*, qual o preco, qual o valor, valor, ~quanto custa, ~quanto e, "
        "~quanto sai, ~quanto ta, ~quanto",
        T.SALE: "desconto*, promocao, promo, oferta*, cupom, mais barato, liquidacao, "
        "em promocao",
        T.SIZE: "qual tamanho, que tamanho, tabela de medidas, tabela de tamanhos, medidas, "
        "como veste, veste, caimento, qual numero",
        T.STOCK: "disponive*, estoque, esgotad*, tem estoque, ainda tem, restam, sobrou, "
        "~tem, ~voces tem",
        T.COLOR: "cor, cores, quais cores, outras cores",
        T.MATERIAL: "material, tecido, feito de, algodao, couro",
        T.SHIPPING: "frete*, envio*, envia*, mandam para, manda pra, entregam em, entrega em, "
        "envio internacional, frete gratis",
        T.DELIVERY: "prazo*, prazo de entrega, quanto tempo, quantos dias, quando chega, chega, "
        "demora, entrega",
        T.RETURNS: "devolucao, devolver, troca, trocar, reembolso, dinheiro de volta",
        T.PAYMENT: "pagamento*, pagar, pix, boleto, cartao, parcela*, formas de pagamento",
        T.CAMPAIGN: "campanha, evento, sorteio, concurso",
        T.HOW_TO_BUY: "como compro, como comprar, onde compro, como faco o pedido, "
        "como faco pra comprar, quero comprar, eu quero, link, ~comprar, ~pedido",
        T.HUMAN: "falar com, atendente, pessoa real, humano, alguem",
        T.GREETING: "oi, ola, bom dia, boa tarde, boa noite, tudo bem, lindo, linda",
    },
    "fr": {
        T.PRICE: "prix, tarif*, ~combien, ~ca coute combien, ~c est combien, ~cout",
        T.SALE: "promo*, reduction*, remise*, solde*, code promo, coupon, moins cher, rabais",
        T.SIZE: "quelle taille, guide des tailles, tableau des tailles, mensurations, "
        "taille normalement, taille grand, taille petit, coupe",
        T.STOCK: "disponible*, en stock, stock, epuise*, il en reste, reste, rupture, "
        "~vous avez, ~avez vous, ~y a t il",
        T.COLOR: "couleur*, coloris, teinte*",
        T.MATERIAL: "matiere*, materiau*, tissu, en quoi, composition, coton, cuir",
        T.SHIPPING: "livrez, livrez vous, livraison, expedition, expediez, envoyez, frais de port, "
        "frais de livraison, livraison gratuite, envoi",
        T.DELIVERY: "delai*, combien de temps, combien de jours, delai de livraison, recevoir, "
        "arrive, ~quand",
        T.RETURNS: "retour*, retourner, rembourse*, echange*",
        T.PAYMENT: "paiement*, payer, moyens de paiement, carte, carte bancaire, paypal, "
        "plusieurs fois",
        T.CAMPAIGN: "campagne*, evenement, jeu concours, concours, parrainage",
        T.HOW_TO_BUY: "comment acheter, comment commander, ou acheter, je le veux, je prends, "
        "comment je commande, lien, ~acheter, ~commander, ~commande",
        T.HUMAN: "parler a, parler avec, vraie personne, humain, conseill*, service client, "
        "quelqu un",
        T.GREETING: "bonjour, salut, bonsoir, coucou, ca va, magnifique, joli",
    },
    "de": {
        T.PRICE: "preis*, ~wie viel, ~wieviel, ~was kostet, ~kostet, ~kosten",
        T.SALE: "rabatt*, angebot*, sale, reduziert, gutschein*, gunstiger, aktion*, prozente, "
        "im angebot",
        T.SIZE: "welche grosse, grossentabelle, passform, fallt klein, fallt gross, fallt, "
        "masse, normal aus",
        T.STOCK: "verfugbar*, auf lager, lager*, ausverkauft, vorratig, noch da, gibt es noch, "
        "~habt ihr, ~gibt es, ~haben sie",
        T.COLOR: "farbe*, farbton",
        T.MATERIAL: "material*, stoff, woraus, aus was, baumwolle, leder",
        T.SHIPPING: "versand*, versendet*, versendet ihr, liefert ihr, liefern, schickt ihr, "
        "porto, kostenloser versand, lieferung",
        T.DELIVERY: "lieferzeit*, wie lange, wann kommt, dauert, wie schnell, tage",
        T.RETURNS: "ruckgabe*, rucksendung*, zuruckschicken, umtausch*, erstattung, geld zuruck, "
        "widerruf*, retoure*",
        T.PAYMENT: "zahlung*, bezahlen, zahlen, zahlungsart*, paypal, kreditkarte, karte, "
        "rechnung, raten*, klarna, nachnahme",
        T.CAMPAIGN: "kampagne*, gewinnspiel*, event, challenge",
        T.HOW_TO_BUY: "wie kaufe ich, wie bestelle ich, wo kaufen, wie kann ich bestellen, "
        "wie kann ich kaufen, will ich haben, nehme ich, link, ~kaufen, ~bestellen, ~bestellung",
        T.HUMAN: "mensch*, echte person, mitarbeiter*, kundenservice, sprechen mit, reden mit, "
        "jemand*",
        T.GREETING: "hallo, guten tag, guten morgen, guten abend, servus, moin, gruss gott, "
        "schon, toll",
    },
    "id": {
        T.PRICE: "harga*, hrg, ~berapa, ~brp, ~berapaan",
        T.SALE: "diskon*, promo*, potongan*, voucher*, kupon*, lebih murah, harga coret, sale",
        T.SIZE: "ukuran apa, size apa, tabel ukuran, size chart, muat, cocok, lingkar dada, "
        "ukuran berapa, size berapa",
        T.STOCK: "stok*, ready, ready stock, tersedia, habis, masih ada, sisa, restock, ~ada, "
        "~punya",
        T.COLOR: "warna*, pilihan warna",
        T.MATERIAL: "bahan*, material, terbuat dari, katun, kulit",
        T.SHIPPING: "kirim*, pengiriman, ongkir*, ongkos kirim, bisa kirim, kirim ke, "
        "gratis ongkir, ekspedisi",
        T.DELIVERY: "berapa lama, berapa hari, kapan sampai, sampai, lama pengiriman, estimasi, "
        "nyampe",
        T.RETURNS: "retur*, pengembalian, tukar*, refund, uang kembali, kembalikan",
        T.PAYMENT: "bayar*, pembayaran*, metode pembayaran, transfer, cicil*, kartu kredit, "
        "e wallet, ewallet, ovo, gopay, dana, qris, cod, paylater",
        T.CAMPAIGN: "kampanye, event, giveaway, undian, lomba, tantangan",
        T.HOW_TO_BUY: "cara beli*, cara pesan, gimana belinya, gimana cara beli, cara order, "
        "mau beli, mau order, checkout, keranjang, link*, ~beli, ~order, ~pesan",
        T.HUMAN: "admin, orang asli, manusia, bicara dengan, ngobrol dengan, cs, "
        "customer service, host",
        T.GREETING: "halo, hai, hallo, selamat pagi, selamat siang, selamat sore, "
        "selamat malam, apa kabar, ~kak, bagus, cantik, keren",
    },
    "ms": {
        T.PRICE: "harga*, hrg, ~berapa, ~brp, ~rm berapa",
        T.SALE: "diskaun*, promosi, promo, potongan, baucar, kupon, lebih murah, sale",
        T.SIZE: "saiz apa, saiz berapa, carta saiz, jadual saiz, muat, padan, ukuran",
        T.STOCK: "stok*, ready stock, tersedia, habis, masih ada, baki, restock, ~ada",
        T.COLOR: "warna*, pilihan warna",
        T.MATERIAL: "bahan*, fabrik, material, diperbuat daripada, kapas, kulit",
        T.SHIPPING: "hantar*, penghantaran, pos, kos penghantaran, caj penghantaran, postage, "
        "pos laju, boleh hantar, pos percuma",
        T.DELIVERY: "berapa lama, berapa hari, sampai, bila sampai, tempoh, masa penghantaran",
        T.RETURNS: "pemulangan, pulangkan, dipulangkan, tukar*, bayaran balik, refund",
        T.PAYMENT: "bayar*, pembayaran, kaedah pembayaran, kad kredit, fpx, online banking, "
        "ansuran, tng, touch n go, grabpay, cod",
        T.CAMPAIGN: "kempen, acara, event, peraduan, cabutan bertuah, giveaway",
        T.HOW_TO_BUY: "cara beli, macam mana nak beli, macam mana nak order, nak beli, "
        "nak order, checkout, troli, link, ~beli, ~order, ~tempah",
        T.HUMAN: "admin, orang sebenar, manusia, bercakap dengan, cakap dengan, "
        "khidmat pelanggan, host",
        T.GREETING: "hai, helo, hello, selamat pagi, selamat petang, selamat malam, "
        "apa khabar, assalamualaikum, cantik, lawa",
    },
    "vi": {
        T.PRICE: "giá*, ~bao nhiêu, ~bao nhiêu tiền, ~nhiêu, ~bn",
        T.SALE: "giảm giá, khuyến mãi, km, sale, voucher, mã giảm giá, ưu đãi, rẻ hơn, giảm",
        T.SIZE: "size nào, bảng size, vừa không, mặc vừa, form, số đo, cỡ nào, tư vấn size",
        T.STOCK: "còn hàng, còn không, hết hàng, còn, có sẵn, tồn kho, hàng sẵn",
        T.COLOR: "màu, màu gì, màu sắc, những màu",
        T.MATERIAL: "chất liệu, vải, làm bằng, chất",
        T.SHIPPING: "giao hàng, ship, gửi, phí ship, phí vận chuyển, vận chuyển, giao đến, "
        "ship đến, ship về, freeship",
        T.DELIVERY: "bao lâu, mấy ngày, khi nào nhận, bao giờ nhận, thời gian giao, nhận hàng",
        T.RETURNS: "đổi trả, trả hàng, đổi hàng, hoàn tiền, đổi size, hoàn trả",
        T.PAYMENT: "thanh toán, trả góp, chuyển khoản, thẻ, momo, cod, ví điện tử",
        T.CAMPAIGN: "chương trình, sự kiện, minigame, quay số, giveaway",
        T.HOW_TO_BUY: "mua sao, mua thế nào, mua như thế nào, cách mua, đặt hàng, đặt sao, chốt, "
        "link, ~mua, ~lấy, ~đặt",
        T.HUMAN: "nhân viên, người thật, nói chuyện với, tư vấn viên, admin, host",
        T.GREETING: "xin chào, chào, chào shop, đẹp quá, đẹp",
    },
    "th": {
        T.PRICE: "ราคา, ~เท่าไหร่, ~เท่าไร, ~กี่บาท, ~เท่าไห่",
        T.SALE: "ลดราคา, ส่วนลด, โปรโมชั่น, โปร, คูปอง, โค้ด, ถูกกว่า, เซลล์",
        T.SIZE: "ไซส์อะไร, ไซส์ไหน, ตารางไซส์, ใส่ได้ไหม, รอบอก, ขนาดไหน, ใส่ไซส์",
        T.STOCK: "มีของ, ของหมด, หมดแล้ว, หมด, สต็อก, สต๊อก, เหลือ, พร้อมส่ง, ยังมี, มีไหม, ~มี",
        T.COLOR: "สีอะไร, กี่สี, สีไหน, มีสี",
        T.MATERIAL: "ผ้า, วัสดุ, เนื้อผ้า, ทำจาก",
        T.SHIPPING: "ส่ง, ค่าส่ง, จัดส่ง, ส่งไป, ส่งต่างประเทศ, ส่งฟรี, ค่าจัดส่ง",
        T.DELIVERY: "กี่วัน, นานไหม, ได้เมื่อไหร่, ถึงเมื่อไหร่, ใช้เวลา, จะได้รับ",
        T.RETURNS: "คืนสินค้า, เปลี่ยนสินค้า, คืนเงิน, เปลี่ยนไซส์, คืนได้, เปลี่ยนได้, รับคืน",
        T.PAYMENT: "ชำระ, จ่าย, โอน, บัตรเครดิต, ผ่อน, เก็บเงินปลายทาง, ปลายทาง, พร้อมเพย์",
        T.CAMPAIGN: "แคมเปญ, กิจกรรม, แจกของ, ชิงรางวัล, อีเว้นท์",
        T.HOW_TO_BUY: "สั่งยังไง, ซื้อยังไง, สั่งซื้อ, วิธีสั่ง, วิธีซื้อ, cf, ลิงก์, ลิ้ง, "
        "~เอา, ~สั่ง, ~ซื้อ",
        T.HUMAN: "แอดมิน, คุยกับคน, คนจริง, พนักงาน, ติดต่อ, เจ้าหน้าที่",
        T.GREETING: "สวัสดี, หวัดดี, ดีค่ะ, ดีครับ, สวย, น่ารัก",
    },
    "ja": {
        T.PRICE: "値段, 価格, 金額, ~いくら, ~おいくら, ~何円",
        T.SALE: "割引, セール, 値引, クーポン, 安く, お得, オフ, 特価",
        T.SIZE: "サイズ感, どのサイズ, 何サイズ, サイズ表, 採寸, 着丈, 身幅, 大きめ, 小さめ",
        T.STOCK: "在庫, 売り切れ, 完売, 残り, まだある, 入荷, 再入荷, ~あります, ~ある",
        T.COLOR: "色, カラー, 何色, 色違い",
        T.MATERIAL: "素材, 生地, 材質, 何でできて, 綿",
        T.SHIPPING: "配送, 発送, 送料, 海外発送, 送れ, お届け, 送って, 配達",
        T.DELIVERY: "何日, いつ届, いつ頃, 到着, 届くまで, どのくらいで, 日数",
        T.RETURNS: "返品, 返金, 交換, 返せ, 返却",
        T.PAYMENT: "支払, 決済, 払い, クレジット, カード, 分割, 代引, 代金引換, paypay",
        T.CAMPAIGN: "キャンペーン, イベント, 企画, 抽選",
        T.HOW_TO_BUY: "購入方法, 買い方, どうやって買, 注文方法, どこで買, 買いたい, 欲しい, "
        "ほしい, リンク, ~買, ~注文, ~購入",
        T.HUMAN: "人と話, 担当者, スタッフ, ホスト, オペレーター, 店長",
        T.GREETING: "こんにちは, こんばんは, おはよう, はじめまして, かわいい, 可愛い, 素敵, "
        "すごい",
    },
    "ko": {
        T.PRICE: "가격, 비용, 값, ~얼마, ~몇 원",
        T.SALE: "할인, 세일, 쿠폰, 프로모션, 특가, 더 싸, 싸게",
        T.SIZE: "사이즈 추천, 어떤 사이즈, 무슨 사이즈, 사이즈표, 치수, 핏, 정사이즈",
        T.STOCK: "재고, 품절, 남았, 재입고, 구매 가능, ~있나요, ~있어요, ~있어",
        T.COLOR: "색상, 색깔, 컬러, 무슨 색, ~색",
        T.MATERIAL: "소재, 재질, 원단, 뭐로 만들",
        T.SHIPPING: "배송, 택배, 보내, 해외배송, 발송, 무료배송, 배달",
        T.DELIVERY: "며칠, 얼마나 걸, 언제 도착, 도착, 언제 와, 배송 기간, 걸려요",
        T.RETURNS: "반품, 환불, 교환, 반송",
        T.PAYMENT: "결제, 지불, 카드, 할부, 무통장, 계좌이체, 착불, 현금",
        T.CAMPAIGN: "캠페인, 이벤트, 경품, 릴레이, 추첨",
        T.HOW_TO_BUY: "구매 방법, 어떻게 사, 어떻게 구매, 주문 방법, 어디서 사, 살게요, 사고 싶, "
        "주문할게, 링크, ~구매, ~주문",
        T.HUMAN: "상담원, 직원, 진행자, 호스트, 사람이랑, 사람과, 담당자, 상담",
        T.GREETING: "안녕, 반가워, 반갑, 예뻐, 예쁘, 멋져",
    },
    "zh": {
        T.PRICE: "价格, 價格, 价钱, 價錢, 售价, 售價, ~多少钱, ~多少錢, ~多少",
        T.SALE: "折扣, 打折, 优惠, 優惠, 特价, 特價, 促销, 促銷, 便宜, 减价, 減價",
        T.SIZE: "什么尺码, 什麼尺碼, 哪个尺码, 哪個尺碼, 尺码表, 尺碼表, 尺寸表, 穿多大, 合身, "
        "码数, 碼數, 偏大, 偏小",
        T.STOCK: "库存, 庫存, 有货, 有貨, 现货, 現貨, 缺货, 缺貨, 售罄, 卖完, 賣完, 还有, 還有, "
        "没货, 沒貨, ~有吗, ~有嗎, ~有没有, ~有沒有",
        T.COLOR: "颜色, 顏色, 什么颜色, 几种颜色, 色",
        T.MATERIAL: "材质, 材質, 面料, 布料, 材料, 什么做的, 棉",
        T.SHIPPING: "运费, 運費, 邮费, 郵費, 寄到, 发货, 發貨, 配送, 包邮, 包郵, 运送, 運送, 寄, "
        "送到, 快递, 快遞",
        T.DELIVERY: "多久, 几天, 幾天, 多少天, 什么时候到, 什麼時候到, 到货, 到貨, 送达, 送達",
        T.RETURNS: "退货, 退貨, 退款, 换货, 換貨, 退换, 退換",
        T.PAYMENT: "付款, 支付, 付钱, 付錢, 信用卡, 分期, 货到付款, 貨到付款, 刷卡",
        T.CAMPAIGN: "活动, 活動, 抽奖, 抽獎, 接力, 邀请, 邀請",
        T.HOW_TO_BUY: "怎么买, 怎麼買, 如何购买, 如何購買, 怎么下单, 怎麼下單, 在哪买, 在哪買, "
        "我要买, 我要買, 想买, 想買, 下单, 下單, 链接, 連結, 结账, 結帳, ~买, ~買, ~购买, ~購買",
        T.HUMAN: "人工, 客服, 真人, 主播, 找人, 主持人",
        T.GREETING: "你好, 您好, 大家好, 哈喽, 哈囉, 嗨, 早安, 晚上好, 漂亮, 好看",
    },
    "ar": {
        T.PRICE: "سعر, ثمن, ~بكم, ~كم الثمن, ~كم يكلف, ~كم",
        T.SALE: "خصم, تخفيض, عرض, عروض, كوبون, كود خصم, ارخص, تنزيلات",
        T.SIZE: "اي مقاس, جدول المقاسات, المقاس المناسب, يناسبني, طولي, وزني",
        T.STOCK: "متوفر, متاح, مخزون, نفد, نفذ, خلص, موجود, ~هل يوجد, ~عندكم",
        T.COLOR: "لون, الوان",
        T.MATERIAL: "خامة, قماش, مصنوع من, مادة, قطن, جلد",
        T.SHIPPING: "شحن, توصيل, ترسلون, يوصل, تشحنون, رسوم الشحن",
        T.DELIVERY: "كم يوم, متى يصل, متى يوصل, مدة التوصيل, يستغرق, ايام",
        T.RETURNS: "ارجاع, استرجاع, استرداد, استبدال, ترجيع",
        T.PAYMENT: "دفع, طرق الدفع, بطاقة, فيزا, تقسيط, اقساط, الدفع عند الاستلام, كاش, تابي, "
        "تمارا",
        T.CAMPAIGN: "حملة, مسابقة, فعالية, سحب",
        T.HOW_TO_BUY: "كيف اشتري, طريقة الشراء, طريقة الطلب, كيف اطلب, ابي اطلب, "
        "اريد شراء, رابط, ~ابغى, ~شراء, ~اطلب",
        T.HUMAN: "موظف, شخص حقيقي, خدمة العملاء, المضيف, اكلم, التحدث مع, انسان",
        T.GREETING: "مرحبا, السلام عليكم, اهلا, صباح الخير, مساء الخير, هلا, جميل",
    },
    "tr": {
        T.PRICE: "fiyat*, ~ne kadar, ~kaç para, ~kaç lira, ~kaça, ~ücret*",
        T.SALE: "indirim*, kupon*, daha ucuz, promosyon*, fırsat*",
        T.SIZE: "hangi beden, beden tablo*, kalıp*, dar mı, bol mu, ölçü*",
        T.STOCK: "stok*, tüken*, mevcut, kaldı mı, elinizde, ~var mı, ~var mi",
        T.COLOR: "renk*, hangi renk",
        T.MATERIAL: "kumaş*, malzeme*, neyden, pamuk*, deri*",
        T.SHIPPING: "kargo*, gönderi*, gönder*, yolluyor*, ücretsiz kargo",
        T.DELIVERY: "kaç gün*, ne zaman gelir, ne zaman, teslimat*, ne kadar sürer, süre*",
        T.RETURNS: "iade*, değişim*, geri gönder*, değiştir*",
        T.PAYMENT: "ödeme*, öde*, kredi kartı, taksit*, kapıda ödeme, havale, eft, kart*",
        T.CAMPAIGN: "kampanya*, etkinlik*, çekiliş*, yarışma*, davet*",
        T.HOW_TO_BUY: "nasıl alırım, nasıl sipariş, nasıl satın, satın al*, sipariş ver*, link*, "
        "almak istiyorum, ~sipariş*",
        T.HUMAN: "yetkili, gerçek kişi*, insan, müşteri hizmetleri, temsilci*, biriyle, konuşmak",
        T.GREETING: "merhaba, selam*, günaydın, iyi akşamlar, nasılsın, harika, güzel",
    },
}

# ---------------------------------------------------------------------------------------------
# Flags: finer points that change the wording of an answer, not its topic.
#   this         points at the product on stage ("this one", "este", "これ")
#   thanks       a thank-you (a greeting answered with "you're welcome")
#   cod          asks about cash on delivery specifically
#   installments asks about paying in installments
#   size_word    the bare word "size": a size question unless a size is named ("size M?")
#   reward       asks what the campaign gives

FLAGS: dict[str, dict[str, str]] = {
    "en": {
        "this": "this, this one, that one",
        "thanks": "thanks, thank you, thx, ty, appreciate it",
        "cod": "cod, cash on delivery, pay on delivery",
        "installments": "installment*, instalment*, pay later, monthly, afterpay, klarna, split",
        "size_word": "size, sizes",
        "reward": "reward*, prize*, what do i get, win, bonus",
    },
    "es": {
        "this": "este, esta, esto, ese, esa, este de aqui, el que muestras",
        "thanks": "gracias, muchas gracias, mil gracias",
        "cod": "contra entrega, contraentrega, pago contra entrega, efectivo",
        "installments": "cuotas, meses sin intereses, a plazos, plazos, msi",
        "size_word": "talla, tallas, numero, tamano",
        "reward": "premio*, recompensa, que gano, gano, ganar",
    },
    "pt": {
        "this": "este, esta, esse, essa, isso, esse ai",
        "thanks": "obrigad*, valeu, muito obrigado",
        "cod": "pagamento na entrega, pagar na entrega",
        "installments": "parcela*, parcelar, parcelado, sem juros, vezes",
        "size_word": "tamanho, tamanhos, numero, numeracao",
        "reward": "premio, recompensa, o que eu ganho, ganho, ganhar",
    },
    "fr": {
        "this": "ce, celui ci, celle ci, celui la, celle la, cet article, ca",
        "thanks": "merci, merci beaucoup",
        "cod": "paiement a la livraison, contre remboursement, payer a la livraison",
        "installments": "plusieurs fois, 3 fois, 4 fois, paiement fractionne, echelonne",
        "size_word": "taille, tailles, pointure",
        "reward": "recompense*, cadeau*, qu est ce que je gagne, gagner, gagne",
    },
    "de": {
        "this": "dieser, diese, dieses, das hier, den hier, die hier",
        "thanks": "danke*, vielen dank",
        "cod": "nachnahme, bei lieferung bezahlen, barzahlung",
        "installments": "raten*, in raten, klarna, teilzahlung",
        "size_word": "grosse, grossen",
        "reward": "belohnung, pramie, gewinn*, was bekomme ich",
    },
    "id": {
        "this": "ini, yang ini, yg ini",
        "thanks": "terima kasih, makasih, trims, tq, thx",
        "cod": "cod, bayar di tempat, bayar ditempat",
        "installments": "cicil*, paylater, kredivo, atome",
        "size_word": "ukuran*, size, uk",
        "reward": "hadiah*, dapat apa, bonus, reward",
    },
    "ms": {
        "this": "ini, yang ini, yg ni, ni",
        "thanks": "terima kasih, tq, thanks",
        "cod": "cod, bayar semasa terima, bayar tunai",
        "installments": "ansuran, bayar ansuran, atome, paylater, spaylater",
        "size_word": "saiz, size",
        "reward": "hadiah, ganjaran, dapat apa, bonus",
    },
    "vi": {
        "this": "cái này, này, mẫu này, sp này, sản phẩm này",
        "thanks": "cảm ơn, cám ơn, tks",
        "cod": "cod, thanh toán khi nhận hàng, nhận hàng trả tiền",
        "installments": "trả góp",
        "size_word": "size, sz",
        "reward": "phần thưởng, quà, được gì, thưởng",
    },
    "th": {
        "this": "อันนี้, ตัวนี้, ชิ้นนี้, แบบนี้",
        "thanks": "ขอบคุณ, ขอบใจ, แต๊งกิ้ว",
        "cod": "เก็บเงินปลายทาง, ปลายทาง, cod",
        "installments": "ผ่อน",
        "size_word": "ไซส์, ไซซ์, ขนาด, size",
        "reward": "รางวัล, ได้อะไร",
    },
    "ja": {
        "this": "これ, この, こちら, それ",
        "thanks": "ありがとう, 感謝, サンキュー",
        "cod": "代引, 代金引換, 着払い",
        "installments": "分割, ローン, 後払い",
        "size_word": "サイズ, size",
        "reward": "特典, 賞品, もらえる, 報酬, 景品",
    },
    "ko": {
        "this": "이거, 이것, 이 제품, 이 상품, 요거",
        "thanks": "감사, 고마워, 고맙, 땡큐",
        "cod": "착불, 현금 결제",
        "installments": "할부, 무이자",
        "size_word": "사이즈, size",
        "reward": "보상, 혜택, 뭐 받, 경품, 리워드",
    },
    "zh": {
        "this": "这个, 這個, 这件, 這件, 这款, 這款, 这双, 這雙",
        "thanks": "谢谢, 謝謝, 感谢, 感謝, 多谢, 多謝",
        "cod": "货到付款, 貨到付款",
        "installments": "分期, 免息",
        "size_word": "尺码, 尺碼, 尺寸, 码, 碼, size",
        "reward": "奖励, 獎勵, 奖品, 獎品, 送什么, 能得到",
    },
    "ar": {
        "this": "هذا, هذه, هذي, هاذا",
        "thanks": "شكرا, مشكور, يعطيك العافية",
        "cod": "الدفع عند الاستلام, عند الاستلام, كاش",
        "installments": "تقسيط, اقساط, تابي, تمارا",
        "size_word": "مقاس, حجم, size",
        "reward": "جائزة, مكافأة, ماذا احصل, هدية",
    },
    "tr": {
        "this": "bu, bunu, bunun, şu, bu ürün",
        "thanks": "teşekkür*, sağol*, sağ ol, eyvallah, tşk",
        "cod": "kapıda ödeme, kapıda",
        "installments": "taksit*",
        "size_word": "beden*, numara*, size",
        "reward": "ödül*, hediye*, ne kazan*, kazan*",
    },
}

# ---------------------------------------------------------------------------------------------
# Colour words, keyed by a canonical English colour. A product colour is meant when its id or
# English name contains the canonical word ("green" -> "sage green"); the product's own colour
# names (from products.yaml) are matched as well, in every market language.

COLORS: dict[str, dict[str, str]] = {
    "en": {
        "black": "black", "white": "white", "red": "red", "blue": "blue", "navy": "navy",
        "green": "green", "grey": "grey, gray", "brown": "brown", "pink": "pink",
        "beige": "beige",
    },
    "es": {
        "black": "negro, negra", "white": "blanco, blanca", "red": "rojo, roja", "blue": "azul",
        "navy": "azul marino", "green": "verde", "grey": "gris", "brown": "cafe, marron",
        "pink": "rosa, rosado", "beige": "beige",
    },
    "pt": {
        "black": "preto, preta", "white": "branco, branca", "red": "vermelho, vermelha",
        "blue": "azul", "navy": "azul marinho", "green": "verde", "grey": "cinza",
        "brown": "marrom", "pink": "rosa", "beige": "bege",
    },
    "fr": {
        "black": "noir, noire", "white": "blanc, blanche", "red": "rouge", "blue": "bleu, bleue",
        "navy": "bleu marine, marine", "green": "vert, verte", "grey": "gris, grise",
        "brown": "marron", "pink": "rose", "beige": "beige",
    },
    "de": {
        "black": "schwarz*", "white": "weiss*", "red": "rot, rote, roten, rotes",
        "blue": "blau*", "navy": "marine*, dunkelblau*", "green": "grun*", "grey": "grau*",
        "brown": "braun*", "pink": "rosa", "beige": "beige*",
    },
    "id": {
        "black": "hitam", "white": "putih", "red": "merah", "blue": "biru",
        "navy": "biru dongker, biru tua", "green": "hijau", "grey": "abu abu, abu",
        "brown": "coklat, cokelat", "pink": "merah muda", "beige": "krem",
    },
    "ms": {
        "black": "hitam", "white": "putih", "red": "merah", "blue": "biru",
        "navy": "biru gelap", "green": "hijau", "grey": "kelabu, abu abu",
        "brown": "coklat", "pink": "merah jambu", "beige": "krim",
    },
    # Bare Vietnamese colour words collide once tones are stripped ("đen" black / "đến" to):
    # only the "màu ..." forms are safe.
    "vi": {
        "black": "màu đen", "white": "màu trắng", "red": "màu đỏ", "blue": "màu xanh dương",
        "navy": "màu xanh navy, màu xanh đen", "green": "màu xanh lá", "grey": "màu xám, màu ghi",
        "brown": "màu nâu", "pink": "màu hồng", "beige": "màu be, màu kem",
    },
    "th": {
        "black": "ดำ", "white": "ขาว", "red": "แดง", "blue": "น้ำเงิน, ฟ้า", "navy": "กรมท่า",
        "green": "เขียว", "grey": "เทา", "brown": "น้ำตาล", "pink": "ชมพู", "beige": "เบจ, ครีม",
    },
    "ja": {
        "black": "黒, ブラック", "white": "白, ホワイト", "red": "赤, レッド", "blue": "青, ブルー",
        "navy": "紺, ネイビー", "green": "緑, グリーン", "grey": "グレー, 灰色",
        "brown": "茶色, ブラウン", "pink": "ピンク", "beige": "ベージュ",
    },
    "ko": {
        "black": "검정, 검은색, 블랙", "white": "흰색, 화이트, 하얀", "red": "빨간, 빨강, 레드",
        "blue": "파란, 파랑, 블루", "navy": "네이비, 남색", "green": "초록, 녹색, 그린",
        "grey": "회색, 그레이", "brown": "갈색, 브라운", "pink": "분홍, 핑크", "beige": "베이지",
    },
    "zh": {
        "black": "黑", "white": "白色, 白的", "red": "红, 紅", "blue": "蓝, 藍",
        "navy": "藏青, 海军蓝, 海軍藍", "green": "绿, 綠", "grey": "灰色", "brown": "棕色, 咖啡色",
        "pink": "粉色, 粉红, 粉紅", "beige": "米色",
    },
    "ar": {
        "black": "اسود, سوداء", "white": "ابيض, بيضاء", "red": "احمر, حمراء",
        "blue": "ازرق, زرقاء", "navy": "كحلي", "green": "اخضر, خضراء", "grey": "رمادي",
        "brown": "بني", "pink": "وردي, زهري", "beige": "بيج",
    },
    "tr": {
        "black": "siyah*", "white": "beyaz*", "red": "kırmızı*", "blue": "mavi*",
        "navy": "lacivert*", "green": "yeşil*", "grey": "gri", "brown": "kahverengi*",
        "pink": "pembe*", "beige": "bej*",
    },
}

# ---------------------------------------------------------------------------------------------
# Countries. Localized names come from CLDR (babel Locale(lang).territories); these are the
# short forms and spellings viewers actually type. Upper-case ISO codes in a message ("MX",
# "BR") are recognized by the engine directly.

COUNTRY_ALIASES: dict[str, dict[str, str]] = {
    "en": {
        "US": "usa, u s a, u s, america, the states, united states", "GB": "uk, britain, "
        "england, great britain", "KR": "korea, south korea", "AE": "uae, emirates",
        "SA": "saudi", "NL": "holland", "VN": "viet nam", "HK": "hong kong", "CZ": "czech republic",
    },
    "es": {
        "US": "ee uu, eeuu, usa, estados unidos, eua", "GB": "reino unido, inglaterra",
        "KR": "corea", "AE": "emiratos",
    },
    "pt": {"US": "eua, usa, estados unidos", "GB": "reino unido, inglaterra", "KR": "coreia"},
    "fr": {"US": "usa, etats unis, amerique", "GB": "angleterre", "KR": "coree"},
    "de": {"US": "usa, amerika, vereinigte staaten", "GB": "england, grossbritannien",
           "KR": "korea", "AE": "emirate"},
    "id": {"US": "amerika, usa", "GB": "inggris", "KR": "korea", "SG": "singapura"},
    "ms": {"US": "amerika, usa", "GB": "uk", "KR": "korea", "SG": "singapura"},
    "vi": {"US": "mỹ, nước mỹ", "GB": "nước anh", "KR": "hàn", "JP": "nhật", "AU": "úc",
           "TH": "thái", "SG": "sing", "MY": "mã lai"},
    "th": {"US": "อเมริกา, เมกา", "GB": "อังกฤษ", "KR": "เกาหลี", "MY": "มาเลย์"},
    "ja": {"US": "アメリカ, 米国", "GB": "英国", "KR": "韓国", "TW": "台湾"},
    "ko": {"US": "미국", "GB": "영국", "KR": "한국"},
    "zh": {"US": "美国, 美國", "GB": "英国, 英國", "KR": "韩国, 韓國", "TW": "台湾, 台灣",
           "MY": "马来西亚, 馬來西亞, 大马"},
    # The article ("al") merges with prepositions (للسعودية): match the bare names too.
    "ar": {"US": "امريكا", "SA": "سعودية", "AE": "امارات", "KW": "كويت", "QA": "قطر",
           "EG": "مصر", "BH": "بحرين", "OM": "عمان"},
    "tr": {"US": "amerika*, abd", "GB": "ingiltere*", "KR": "kore*", "DE": "almanya*"},
}

# CLDR territory names that are also everyday words; never read them as a country.
IGNORED_COUNTRY_NAMES = frozenset({
    "jersey", "chad", "jordan", "georgia", "turkey", "guernsey", "man", "anh", "niger",
    "chile", "mali", "togo",
})

# ---------------------------------------------------------------------------------------------
# Size-chart labels: a chart key is "<measure>_<unit>" (chest_in, foot_length_cm).

MEASURES: dict[str, dict[str, str]] = {
    "en": {
           "body_width": "body width",
           "chest": "chest", "length": "length", "waist": "waist", "hip": "hip",
           "foot_length": "foot length", "shoulder": "shoulder", "sleeve": "sleeve",
           "inseam": "inseam", "width": "width", "height": "height", "bust": "bust"},
    "es": {
           "body_width": "ancho de cuerpo",
           "chest": "pecho", "length": "largo", "waist": "cintura", "hip": "cadera",
           "foot_length": "largo del pie", "shoulder": "hombro", "sleeve": "manga",
           "inseam": "entrepierna", "width": "ancho", "height": "alto", "bust": "busto"},
    "pt": {
           "body_width": "largura do corpo",
           "chest": "peito", "length": "comprimento", "waist": "cintura", "hip": "quadril",
           "foot_length": "comprimento do pé", "shoulder": "ombro", "sleeve": "manga",
           "inseam": "entreperna", "width": "largura", "height": "altura", "bust": "busto"},
    "fr": {
           "body_width": "largeur",
           "chest": "poitrine", "length": "longueur", "waist": "taille", "hip": "hanches",
           "foot_length": "longueur du pied", "shoulder": "épaules", "sleeve": "manche",
           "inseam": "entrejambe", "width": "largeur", "height": "hauteur", "bust": "poitrine"},
    "de": {
           "body_width": "Weite",
           "chest": "Brust", "length": "Länge", "waist": "Taille", "hip": "Hüfte",
           "foot_length": "Fußlänge", "shoulder": "Schulter", "sleeve": "Ärmel",
           "inseam": "Innenbein", "width": "Breite", "height": "Höhe", "bust": "Brust"},
    "id": {
           "body_width": "lebar badan",
           "chest": "lingkar dada", "length": "panjang", "waist": "pinggang", "hip": "pinggul",
           "foot_length": "panjang kaki", "shoulder": "bahu", "sleeve": "lengan",
           "inseam": "inseam", "width": "lebar", "height": "tinggi", "bust": "lingkar dada"},
    "ms": {
           "body_width": "lebar badan",
           "chest": "dada", "length": "panjang", "waist": "pinggang", "hip": "pinggul",
           "foot_length": "panjang kaki", "shoulder": "bahu", "sleeve": "lengan",
           "inseam": "inseam", "width": "lebar", "height": "tinggi", "bust": "dada"},
    "vi": {
           "body_width": "rộng thân",
           "chest": "ngực", "length": "dài", "waist": "eo", "hip": "mông",
           "foot_length": "chiều dài bàn chân", "shoulder": "vai", "sleeve": "tay áo",
           "inseam": "đáy quần", "width": "rộng", "height": "cao", "bust": "ngực"},
    "th": {
           "body_width": "ความกว้างตัว",
           "chest": "รอบอก", "length": "ความยาว", "waist": "รอบเอว", "hip": "สะโพก",
           "foot_length": "ความยาวเท้า", "shoulder": "ไหล่", "sleeve": "แขน",
           "inseam": "เป้าใน", "width": "ความกว้าง", "height": "ความสูง", "bust": "รอบอก"},
    "ja": {
           "body_width": "身幅",
           "chest": "胸囲", "length": "着丈", "waist": "ウエスト", "hip": "ヒップ",
           "foot_length": "足長", "shoulder": "肩幅", "sleeve": "袖丈", "inseam": "股下",
           "width": "幅", "height": "高さ", "bust": "バスト"},
    "ko": {
           "body_width": "가슴단면",
           "chest": "가슴", "length": "총장", "waist": "허리", "hip": "엉덩이",
           "foot_length": "발길이", "shoulder": "어깨", "sleeve": "소매", "inseam": "인심",
           "width": "너비", "height": "높이", "bust": "가슴"},
    "zh": {
           "body_width": "衣宽",
           "chest": "胸围", "length": "衣长", "waist": "腰围", "hip": "臀围",
           "foot_length": "脚长", "shoulder": "肩宽", "sleeve": "袖长", "inseam": "内长",
           "width": "宽", "height": "高", "bust": "胸围"},
    "ar": {
           "body_width": "عرض الجسم",
           "chest": "الصدر", "length": "الطول", "waist": "الخصر", "hip": "الورك",
           "foot_length": "طول القدم", "shoulder": "الكتف", "sleeve": "الكم",
           "inseam": "طول الساق الداخلي", "width": "العرض", "height": "الارتفاع",
           "bust": "الصدر"},
    "tr": {
           "body_width": "beden genişliği",
           "chest": "göğüs", "length": "boy", "waist": "bel", "hip": "kalça",
           "foot_length": "ayak uzunluğu", "shoulder": "omuz", "sleeve": "kol",
           "inseam": "iç bacak", "width": "genişlik", "height": "yükseklik", "bust": "göğüs"},
}

# Units written after a body measurement ("170cm 65kg", "5'7", "160公分"): a message giving
# them is a fit question even without the word "size".
BODY_UNITS = (
    "cm", "kg", "kgs", "lb", "lbs", "pounds", "kilo", "kilos", "ft", "feet", "公分", "厘米",
    "センチ", "キロ", "斤", "ซม", "กก", "กิโล", "키로", "센치", "سم", "كيلو", "boy",
)
