/* Tremplin push service worker: shows a notice pushed by the server (mentions, private
   messages, replies) and opens its page when tapped. Receives only what the server
   encrypted for this browser's subscription. */
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data && event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Tremplin", {
    body: data.body || "",
    tag: data.tag,
    data: { url: data.url || "/" }
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.openWindow(url));
});
