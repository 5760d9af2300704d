WITH b AS (
  SELECT
    c.customer_id,
    c.birth_date AS customer__birth_date,
    c.gender AS customer__gender
  FROM customers AS c
  WHERE
    c.joined_at IS NULL OR c.joined_at <= CAST('2024-06-30' AS DATE)
), g0 AS (
  SELECT
    t.customer_id,
    SUM(CASE WHEN t.amount > 0 THEN CAST(t.amount AS DOUBLE) END) AS income_90d,
    COUNT(*) AS txn_count_90d
  FROM transactions AS t
  WHERE
    t.ts >= CAST('2024-04-02' AS DATE) AND t.ts < CAST('2024-07-01' AS DATE)
  GROUP BY
    t.customer_id
), m1_0 AS (
  SELECT
    customer_id,
    v AS top_channel
  FROM (
    SELECT
      customer_id,
      v,
      ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY n DESC, v NULLS LAST) AS rn
    FROM (
      SELECT
        t.customer_id,
        CAST(t.channel AS STRING) AS v,
        COUNT(*) AS n
      FROM transactions AS t
      WHERE
        (
          t.ts >= CAST('2023-07-01' AS DATE) AND t.ts < CAST('2024-07-01' AS DATE)
        )
        AND NOT CAST(t.channel AS STRING) IS NULL
      GROUP BY
        t.customer_id,
        CAST(t.channel AS STRING)
    )
  )
  WHERE
    rn = 1
), g2 AS (
  SELECT
    t.customer_id,
    MAX_BY(t.balance_after, STRUCT(t.ts AS k0, t.txn_id AS k1)) FILTER(WHERE
      NOT t.balance_after IS NULL AND NOT t.ts IS NULL) AS balance,
    DATEDIFF(DAY, CAST(MAX(t.ts) AS DATE), CAST('2024-06-30' AS DATE)) AS days_since_txn
  FROM transactions AS t
  WHERE
    t.ts IS NULL OR t.ts < CAST('2024-07-01' AS DATE)
  GROUP BY
    t.customer_id
), d3_0 AS (
  SELECT
    customer_id,
    ARRAY_SORT(COLLECT_LIST(v)) AS categories
  FROM (
    SELECT
      t.customer_id,
      CAST(product.category AS STRING) AS v
    FROM holdings AS t
    LEFT JOIN products AS product
      ON t.product_id = product.product_id
    WHERE
      (
        (
          t.start_at IS NULL OR t.start_at < CAST('2024-07-01' AS DATE)
        )
        AND (
          t.end_at IS NULL OR t.end_at > CAST('2024-06-30' AS DATE)
        )
      )
      AND NOT CAST(product.category AS STRING) IS NULL
    GROUP BY
      t.customer_id,
      CAST(product.category AS STRING)
  )
  GROUP BY
    customer_id
), s0 AS (
  SELECT
    b.*,
    g0.income_90d AS income_90d,
    COALESCE(g0.txn_count_90d, 0) AS txn_count_90d,
    m1_0.top_channel AS top_channel,
    g2.balance AS balance,
    g2.days_since_txn AS days_since_txn,
    COALESCE(d3_0.categories, ARRAY()) AS categories
  FROM b AS b
  LEFT JOIN g0
    USING (customer_id)
  LEFT JOIN m1_0
    USING (customer_id)
  LEFT JOIN g2
    USING (customer_id)
  LEFT JOIN d3_0
    USING (customer_id)
), s1 AS (
  SELECT
    *,
    CAST(YEAR(CAST('2024-06-30' AS DATE)) - YEAR(customer__birth_date) - CASE
      WHEN MONTH(CAST('2024-06-30' AS DATE)) * 100 + DAY(CAST('2024-06-30' AS DATE)) < MONTH(customer__birth_date) * 100 + DAY(customer__birth_date)
      THEN 1
      ELSE 0
    END AS DOUBLE) AS age,
    CAST(customer__gender AS STRING) AS gender
  FROM s0
), r2 AS (
  SELECT
    customer_id,
    PERCENT_RANK() OVER (PARTITION BY balance IS NULL ORDER BY balance NULLS LAST) AS pr__balance,
    PERCENT_RANK() OVER (PARTITION BY days_since_txn IS NULL ORDER BY days_since_txn NULLS LAST) AS pr__days_since_txn,
    PERCENT_RANK() OVER (PARTITION BY income_90d IS NULL ORDER BY income_90d NULLS LAST) AS pr__income_90d,
    PERCENT_RANK() OVER (PARTITION BY txn_count_90d IS NULL ORDER BY txn_count_90d NULLS LAST) AS pr__txn_count_90d
  FROM s1
), s2 AS (
  SELECT
    p.*,
    CAST(CASE
      WHEN balance >= 50000.0
      THEN 'high'
      WHEN balance >= 0.0
      THEN 'low'
      WHEN balance >= -1000000000000.0
      THEN 'negative'
    END AS STRING) AS balance_band,
    CAST(IF(
      days_since_txn IS NULL OR txn_count_90d IS NULL OR income_90d IS NULL,
      NULL,
      CASE
        WHEN 6 - IF(
          days_since_txn IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__days_since_txn * 5) AS INT) + 1, 5)
        ) >= 4
        AND IF(
          txn_count_90d IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__txn_count_90d * 5) AS INT) + 1, 5)
        ) >= 4
        AND IF(income_90d IS NULL, NULL, LEAST(CAST(FLOOR(r.pr__income_90d * 5) AS INT) + 1, 5)) >= 4
        THEN 'champions'
        WHEN IF(
          txn_count_90d IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__txn_count_90d * 5) AS INT) + 1, 5)
        ) >= 4
        THEN 'loyal'
        WHEN 6 - IF(
          days_since_txn IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__days_since_txn * 5) AS INT) + 1, 5)
        ) >= 4
        AND IF(
          txn_count_90d IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__txn_count_90d * 5) AS INT) + 1, 5)
        ) <= 2
        THEN 'promising'
        WHEN 6 - IF(
          days_since_txn IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__days_since_txn * 5) AS INT) + 1, 5)
        ) <= 2
        AND IF(
          txn_count_90d IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__txn_count_90d * 5) AS INT) + 1, 5)
        ) >= 3
        THEN 'at_risk'
        WHEN 6 - IF(
          days_since_txn IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__days_since_txn * 5) AS INT) + 1, 5)
        ) <= 2
        AND IF(
          txn_count_90d IS NULL,
          NULL,
          LEAST(CAST(FLOOR(r.pr__txn_count_90d * 5) AS INT) + 1, 5)
        ) <= 2
        THEN 'hibernating'
        WHEN TRUE
        THEN 'needs_attention'
      END
    ) AS STRING) AS rfm,
    CAST(IF(balance IS NULL, NULL, LEAST(CAST(FLOOR(r.pr__balance * 5) AS INT) + 1, 5)) AS DOUBLE) AS wealth_rank
  FROM s1 AS p
  LEFT JOIN r2 AS r
    ON p.customer_id = r.customer_id
)
SELECT
  customer_id,
  CAST(age AS DOUBLE) AS age,
  CAST(balance AS DOUBLE) AS balance,
  CAST(categories AS ARRAY<STRING>) AS categories,
  CAST(days_since_txn AS DOUBLE) AS days_since_txn,
  CAST(gender AS STRING) AS gender,
  CAST(income_90d AS DOUBLE) AS income_90d,
  CAST(top_channel AS STRING) AS top_channel,
  CAST(txn_count_90d AS DOUBLE) AS txn_count_90d,
  CAST(balance_band AS STRING) AS balance_band,
  CAST(rfm AS STRING) AS rfm,
  CAST(wealth_rank AS DOUBLE) AS wealth_rank
FROM s2
