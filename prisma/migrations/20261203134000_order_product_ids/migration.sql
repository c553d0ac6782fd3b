-- Each order's distinct products, on the order itself, for "bought together" (the upsell's
-- recommendations): the orders sharing a product are found in the GIN index and counted from
-- their arrays, instead of joining every order's items on each recommendation (see
-- `npm run bench:recommendations`).
ALTER TABLE "Order" ADD COLUMN "productIds" TEXT[] DEFAULT ARRAY[]::TEXT[];

UPDATE "Order" o SET "productIds" = x.ids
FROM (SELECT "orderId", array_agg(DISTINCT "productId" ORDER BY "productId") AS ids FROM "OrderItem" GROUP BY "orderId") x
WHERE x."orderId" = o.id;

CREATE INDEX "Order_productIds_idx" ON "Order" USING GIN ("productIds");

-- The product names the recommendation reports, read from the index alone.
DROP INDEX "OrderItem_productId_idx";
CREATE INDEX "OrderItem_productId_name_idx" ON "OrderItem"("productId", "name");

-- Hand-written (the datamodel cannot say it): whoever inserts order items, the order's
-- "productIds" stays their set. Ingest writes the array with the order, so this finds nothing
-- to change there; it covers every other writer (a Prisma nested create, a script).
CREATE FUNCTION "Order_productIds_follow_items"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Order" o SET "productIds" = x.ids
  FROM (
    SELECT i."orderId", array_agg(DISTINCT i."productId" ORDER BY i."productId") AS ids
    FROM "OrderItem" i
    WHERE i."orderId" IN (SELECT "orderId" FROM added)
    GROUP BY i."orderId"
  ) x
  WHERE o.id = x."orderId" AND NOT (o."productIds" @> x.ids AND o."productIds" <@ x.ids);
  RETURN NULL;
END $$;

CREATE TRIGGER "OrderItem_sets_Order_productIds" AFTER INSERT ON "OrderItem"
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "Order_productIds_follow_items"();
