// The demo shop page of GET /demo/shop (development only): the snippet with a development
// ingest key, two products to look at and a sign-up button, so a newcomer can watch the signup
// nudge arrive (after SIGNUP_NUDGE_MIN_VIEWS page views and SIGNUP_NUDGE_DELAY) and then sign up.
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function demoShopPage(ingestKey: string): string {
  return `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>데모 상점 — crm-journeys</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1f2937; background: #f9fafb; }
header { background: #111827; color: #fff; padding: 16px 24px; display: flex; justify-content: space-between; align-items: center; }
main { max-width: 860px; margin: 24px auto; padding: 0 16px; }
.products { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 16px; }
.product { background: #fff; border-radius: 10px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
button { font: inherit; padding: 8px 14px; border-radius: 8px; border: 1px solid #d1d5db; background: #fff; cursor: pointer; }
button.primary { background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
.note { color: #6b7280; font-size: 14px; }
</style>
<script src="/sdk.js" data-key="${escape(ingestKey)}" async></script>
</head><body>
<header><strong>데모 상점</strong><span><input id="customer" value="c-demo" aria-label="Customer id" size="10"> <button class="primary" id="signup">가입하기</button></span></header>
<main>
<p class="note">This page uses the snippet (<code>/sdk.js</code>) with a development ingest key. Reload it once more: after the
second page view and SIGNUP_NUDGE_DELAY (30 min by default; start with <code>SIGNUP_NUDGE_DELAY=10s npm start</code> to see it soon)
the signup nudge appears as a popup on the next page view. Its button goes through the click-tracking link.</p>
<div class="products">
<div class="product"><h3>린넨 셔츠</h3><p>39,000원</p><button data-product="p-linen">상품 보기</button> <button data-cart="p-linen">장바구니</button></div>
<div class="product"><h3>울 양말</h3><p>9,000원</p><button data-product="p-socks">상품 보기</button> <button data-cart="p-socks">장바구니</button></div>
</div>
</main>
<script>
document.addEventListener('click', function (event) {
  var target = event.target;
  if (!window.crm || !(target instanceof HTMLElement)) return;
  if (target.dataset.product) window.crm.track('product_viewed', { productId: target.dataset.product });
  if (target.dataset.cart) window.crm.track('cart_updated', { items: [{ productId: target.dataset.cart, quantity: 1, price: 9000 }], value: 9000 });
  if (target.id === 'signup') window.crm.identify(document.getElementById('customer').value);
});
</script>
</body></html>`;
}
