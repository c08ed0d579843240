// Generated from chatrail-core and chatrail-tracker by
// tracker-wasm/tests/contract.rs: do not edit. To regenerate:
// UPDATE_CONTRACT=1 cargo test -p chatrail-tracker --test contract
var
  // The wasm's operations (src/lib.rs `op`) and the separator of their fields.
  OP_VIEW = 0,
  OP_CONFIGURE = 1,
  OP_CLICK = 3,
  OP_RESET = 5,
  OP_TAGS = 6,
  VIEW_RANDOM_BYTES = 20,
  SEP = "\x1f",
  // Hrefs that may be chat links (links::CHAT_HINTS): no other reaches the wasm.
  CHAT = /wa\.me|whatsapp|t\.me|telegram\.me|tg:/i,
  // A chat of the JS API's links: a number's digits, or a bot (phone, links).
  NUMBER = /^\d{7,15}$/,
  BOT = /^@\w{5,32}$/,
  // The query parameters of a new source (beacon::UTM_PARAMS, CLICK_ID_PARAMS).
  CAMPAIGN = /^(utm_(source|medium|campaign|content|term)|gclid|gbraid|wbraid|dclid|yclid|ysclid|fbclid|msclkid|ttclid|twclid|li_fat_id|epik|ctwa_clid)$/i,
  // Ids, idle times (ms) and the limits of beacon values (beacon).
  ID_BYTES = 16,
  ID = /^[0-9a-f]{32}$/i,
  SESSION_IDLE_MS = 1800000,
  VISITOR_IDLE_MS = 31536000000,
  MAX_URL_LEN = 2048,
  MAX_SHORT_LEN = 64,
  MAX_SCREEN_PX = 100000,
  WASM_PATH_PLACEHOLDER = "__CHATRAIL_WASM_PATH__",
  CONFIG_PLACEHOLDER = "__CHATRAIL_CONFIG__",
  // The query parameters a chat link's text is in (links).
  TEXT_PARAM = "text",
  START_PARAM = "start",
  // JSON field names of the beacons and the site config (beacon::field).
  FIELD_SITE = "site",
  FIELD_VISITOR = "visitor",
  FIELD_SESSION = "session",
  FIELD_CODE = "code",
  FIELD_URL = "url",
  FIELD_REFERRER = "referrer",
  FIELD_SCREEN_W = "screen_w",
  FIELD_SCREEN_H = "screen_h",
  FIELD_LANGUAGE = "language",
  FIELD_TIMEZONE = "timezone",
  FIELD_PAGE = "page",
  FIELD_NUMBER = "number",
  FIELD_KIND = "kind",
  FIELD_ID = "id",
  FIELD_GA_CLIENT_ID = "ga_client_id",
  FIELD_GA_SESSION_ID = "ga_session_id",
  FIELD_YM_CLIENT_ID = "ym_client_id",
  FIELD_ADS = "ads",
  FIELD_NUMBERS = "numbers",
  FIELD_TEMPLATE = "template",
  FIELD_BOTS = "bots",
  FIELD_DOMAINS = "domains",
  FIELD_PAGES = "pages",
  FIELD_PATH = "path",
  FIELD_TEXT = "text";
