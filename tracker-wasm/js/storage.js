// What the snippet keeps between page views, in localStorage: "<visitor
// id>|<last seen ms>", "<session id>|<code>|<last seen ms>|<source>", the
// site's config, and the beacons waiting to be sent again.
var VISITOR = "chatrail:v",
  SESSION = "chatrail:s",
  CONFIG = "chatrail:c",
  QUEUE = "chatrail:q",
  // Where localStorage is blocked or full: this page's memory.
  memory = {};

// localStorage, else this page's memory.
var get = function (k) {
  try {
    var v = localStorage.getItem(k);
    if (v != null) return v;
  } catch (e) {}
  return memory[k];
};
var set = function (k, v) {
  memory[k] = v;
  try {
    localStorage.setItem(k, v);
  } catch (e) {}
};
var forget = function (k) {
  delete memory[k];
  try {
    localStorage.removeItem(k);
  } catch (e) {}
};
