-- doorman:seed-data
-- The seed's three products, then a few hundred more so that a table has
-- something to scroll, some with non-ASCII names (accents, CJK, emoji,
-- combining marks). Deterministic: every database gets the same rows.
INSERT INTO products (product_name, retail_price)
SELECT name, price
FROM (VALUES (1, '1L FOUNTAIN DRINKING WATER', 2.55),
             (2, 'PINK COTTON BUDS', 4.85),
             (3, 'WINE GLASS', 9.75)) AS seed (ord, name, price)
WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.product_name = seed.name)
ORDER BY ord;

INSERT INTO products (product_name, retail_price)
SELECT adjective[1 + (g % array_length(adjective, 1))] || ' '
       || noun[1 + ((g * 7) % array_length(noun, 1))] || ' '
       || size[1 + ((g * 3) % array_length(size, 1))],
       ((g * 3761) % 9900 + 99) / 100.0
FROM generate_series(1, 420) AS g,
     (SELECT ARRAY['ORGANIC', 'PREMIUM', 'FAMILY-SIZE', 'SPARKLING', 'UNSALTED', 'WHOLEGRAIN',
                   'CLASSIC', 'EXTRA VIRGIN', 'LOW-FAT', 'ROASTED', 'FRESH', 'FROZEN',
                   'SMOKED', 'DARK', 'WILD', 'GOLDEN', 'SPICY']::text[] AS adjective,
             ARRAY['MINERAL WATER', 'OLIVE OIL', 'ESPRESSO BEANS', 'BASMATI RICE', 'PEANUT BUTTER',
                   'GREEN TEA', 'TOMATO SAUCE', 'ALMOND MILK', 'CHEDDAR', 'RYE BREAD', 'HONEY',
                   'PASTA SHELLS', 'SEA SALT', 'MAPLE SYRUP', 'OAT FLAKES', 'CHOCOLATE BAR',
                   'PAPER TOWELS', 'DISH SOAP', 'TOOTHPASTE', 'SHAMPOO', 'COTTON SOCKS',
                   'WINE GLASS', 'COFFEE MUG', 'TEA TOWEL', 'CANDLE', 'BATTERIES AA',
                   'LIGHT BULB', 'NOTEBOOK', 'PENCILS', 'SALMON FILLET', 'AVOCADOS']::text[] AS noun,
             ARRAY['250G', '500G', '1KG', '330ML', '1L', '2L', 'PACK OF 6', 'SINGLE']::text[] AS size) AS words
ORDER BY g;

INSERT INTO products (product_name, retail_price)
SELECT name, price
FROM (VALUES
    (1,  'CRÈME BRÛLÉE RAMEKIN', 6.40),
    (2,  'JALAPEÑO SALSA 300G', 3.15),
    (3,  'SMØRREBRØD BOARD', 18.90),
    (4,  'ZÜRICH DARK CHOCOLATE', 4.20),
    (5,  'CAFÉ AU LAIT BOWL', 7.50),
    (6,  'PÂTE FEUILLETÉE 230G', 2.35),
    (7,  'AÇAÍ BERRY JUICE 1L', 5.95),
    (8,  'ŁÓDŹ RYE SOURDOUGH', 3.60),
    (9,  '緑茶 GREEN TEA 500ML', 2.10),
    (10, '抹茶ラテ MATCHA LATTE', 3.80),
    (11, '김치 KIMCHI 1KG', 8.45),
    (12, '餃子 DUMPLINGS 20 PCS', 6.99),
    (13, '北京烤鸭 酱 SAUCE', 4.75),
    (14, 'ラーメン RAMEN BOWL', 12.00),
    (15, '☕ ESPRESSO CUP', 5.25),
    (16, '🍕 PIZZA STONE', 24.99),
    (17, '🧴 HAND CREAM 75ML', 4.49),
    (18, '🍫 CHOCOLATE GIFT BOX', 15.00),
    (19, '🌶️ CHILLI FLAKES', 2.80),
    (20, 'ΩMEGA-3 CAPSULES', 11.30),
    (21, 'ДОШИРАК NOODLES', 1.25),
    (22, 'ÆBLESKIVER PAN', 21.50),
    (23, 'NAÏVE CIDER 330ML', 2.95),
    (24, 'E' || chr(769) || 'PICERIE SAMPLER', 19.75),
    (25, 'ＦＵＬＬＷＩＤＴＨ NOTEBOOK', 3.30),
    (26, 'ÇIĞ KÖFTE WRAP', 4.10),
    (27, 'FØRST PÅ MÅNEN TEA', 6.60),
    (28, 'ĐÀ LẠT COFFEE BEANS', 9.90),
    (29, 'ÜBER-SOFT TOWEL', 13.40),
    (30, '👩‍🍳 CHEF APRON', 17.25)
) AS named (ord, name, price)
ORDER BY ord;
