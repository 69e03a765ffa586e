// The sandbox's Slack emulator page: renders what the sandbox server says a persona sees
// (channels, Block Kit messages, threads, modals, App Home) and sends back what the persona
// does, so that Outpost can be tried in a browser with no Slack workspace.
// The JSON API is the sandbox's contract (GET /api/state long poll, POST /api/*).
// All text from the server goes into the DOM as text nodes: the bot echoes what people type.
"use strict";

// ---------------------------------------------------------------------------
// Small DOM and network helpers

const $ = (id) => document.getElementById(id);

/** Create an element. attrs: class, text, dataset, on, and any attribute or DOM property. */
function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "on") for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
    else if (key in PROPERTIES) node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}
const PROPERTIES = { value: 1, checked: 1, disabled: 1, hidden: 1, selected: 1, maxLength: 1, rows: 1 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let answer = null;
  try {
    answer = await response.json();
  } catch (_) {
    answer = null;
  }
  if (answer === null) throw new Error(`${path} answered HTTP ${response.status}`);
  return answer;
}

/** POST on behalf of the current persona. */
const api = (path, body = {}) => postJson(path, { as: app.me, ...body });

function showToast(text) {
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => (toast.hidden = true), 6000);
}

/** Keep a long-lived string in localStorage, ignoring browsers that refuse storage. */
const store = {
  get(key) {
    try {
      return localStorage.getItem("outpost-sandbox." + key);
    } catch (_) {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem("outpost-sandbox." + key, value);
    } catch (_) {
      /* private mode: nothing to remember */
    }
  },
};

// ---------------------------------------------------------------------------
// Page state

const app = {
  state: null, // the last /api/state answer
  me: new URLSearchParams(location.search).get("as") || store.get("persona"),
  version: null,
  pollGeneration: 0,
  pollController: null,
  channelKey: store.get("channel"), // a channel id, or APP_KEY for the persona's DM with Outpost
  tab: store.get("tab") || "home",
  thread: null, // {channel, ts} of the open thread
  dismissed: new Set(), // ephemeral messages hidden with Dismiss
  lastSeen: {}, // channel id -> newest ts seen, for unread marks
  stickToBottom: true,
  modal: { key: null, id: null, ctx: null, dismissedId: null, appliedErrors: null, submitting: false },
  homeSignature: null,
  aws: { timer: null, signature: null },
};
const APP_KEY = "app";

const users = () => (app.state && app.state.users) || {};
const botId = () => (app.state && app.state.bot && app.state.bot.id) || "";
const channels = () => (app.state && app.state.channels) || [];
const dmChannel = () => channels().find((c) => c.kind === "dm") || null;

function userName(id) {
  const user = users()[id];
  if (user) return user.real_name || user.name || id;
  if (id === botId()) return app.state.bot.name;
  return id;
}

function channelName(id) {
  const channel = channels().find((c) => c.id === id);
  return channel ? channel.name : id;
}

// ---------------------------------------------------------------------------
// Emoji shortcodes: every one Outpost's UI uses, and the common ones around them.

const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", ballot_box_with_check: "☑️", x: "❌",
  negative_squared_cross_mark: "❎", warning: "⚠️", hourglass_flowing_sand: "⏳", hourglass: "⌛",
  rotating_light: "🚨", lock: "🔒", unlock: "🔓", key: "🔑", closed_lock_with_key: "🔐",
  repeat: "🔁", arrows_counterclockwise: "🔄", arrows_clockwise: "🔃", no_entry: "⛔",
  no_entry_sign: "🚫", stopwatch: "⏱️", alarm_clock: "⏰", timer_clock: "⏲️", clock1: "🕐",
  bell: "🔔", no_bell: "🔕", mag: "🔍", mag_right: "🔎", construction: "🚧",
  large_green_circle: "🟢", red_circle: "🔴", large_yellow_circle: "🟡", large_orange_circle: "🟠",
  large_blue_circle: "🔵", white_circle: "⚪", black_circle: "⚫", information_source: "ℹ️",
  bulb: "💡", wrench: "🔧", hammer: "🔨", hammer_and_wrench: "🛠️", gear: "⚙️", tada: "🎉",
  eyes: "👀", clipboard: "📋", page_facing_up: "📄", memo: "📝", pencil: "📝", pencil2: "✏️",
  boom: "💥", fire: "🔥", sos: "🆘", zzz: "💤", door: "🚪", octagonal_sign: "🛑",
  heavy_minus_sign: "➖", heavy_plus_sign: "➕", heavy_multiplication_x: "✖️",
  arrow_right: "➡️", arrow_left: "⬅️", arrow_up: "⬆️", arrow_down: "⬇️",
  leftwards_arrow_with_hook: "↩️", arrow_right_hook: "↪️", raising_hand: "🙋",
  raised_hand: "✋", wave: "👋", broom: "🧹", outbox_tray: "📤", inbox_tray: "📥",
  card_index: "📇", file_folder: "📁", open_file_folder: "📂", package: "📦", rocket: "🚀",
  thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎", ok_hand: "👌", pray: "🙏",
  clap: "👏", muscle: "💪", point_right: "👉", point_up: "☝️", smile: "😄", slightly_smiling_face: "🙂",
  thinking_face: "🤔", sweat_smile: "😅", joy: "😂", cry: "😢", scream: "😱", sparkles: "✨",
  star: "⭐", heart: "❤️", question: "❓", grey_question: "❔", exclamation: "❗",
  heavy_exclamation_mark: "❗", bangbang: "‼️", link: "🔗", paperclip: "📎", pushpin: "📌",
  round_pushpin: "📍", calendar: "📆", date: "📅", spiral_calendar_pad: "🗓️", cloud: "☁️",
  shield: "🛡️", lock_with_ink_pen: "🔏", bust_in_silhouette: "👤", busts_in_silhouette: "👥",
  robot_face: "🤖", computer: "💻", email: "📧", envelope: "✉️", incoming_envelope: "📨",
  speech_balloon: "💬", loudspeaker: "📢", mega: "📣", chart_with_upwards_trend: "📈",
  bar_chart: "📊", white_large_square: "⬜", black_large_square: "⬛", new: "🆕",
  checkered_flag: "🏁", triangular_flag_on_post: "🚩", hourglass_done: "⌛", book: "📖",
  books: "📚", ledger: "📒", scroll: "📜", moneybag: "💰", dollar: "💵", recycle: "♻️",
  skull: "💀", ghost: "👻", bug: "🐛", ambulance: "🚑", stop_sign: "🛑", lightning: "⚡",
  zap: "⚡", snowflake: "❄️", hourglass_not_done: "⏳", passport_control: "🛂", id: "🆔",
  large_blue_diamond: "🔷", small_blue_diamond: "🔹", small_orange_diamond: "🔸",
  white_small_square: "▫️", black_small_square: "▪️", radio_button: "🔘", arrow_forward: "▶️",
  double_vertical_bar: "⏸️", black_square_for_stop: "⏹️", fast_forward: "⏩", rewind: "⏪",
};

function withEmoji(text) {
  return text.replace(/:([a-z0-9_+'-]+):/g, (whole, name) => EMOJI[name] || whole);
}

// ---------------------------------------------------------------------------
// Slack dates: <!date^1700000000^{date_short_pretty} at {time}|fallback>

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "today", "yesterday" or "tomorrow" in the browser's language, or null. */
function relativeDay(date) {
  const now = new Date();
  for (const offset of [-1, 0, 1]) {
    const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset);
    if (sameDay(date, day)) return new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(offset, "day");
  }
  return null;
}

const DATE_TOKENS = {
  date_num: (d) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`,
  date: (d) => d.toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" }),
  date_short: (d) => d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }),
  date_long: (d) =>
    d.toLocaleDateString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" }),
  date_pretty: (d) => relativeDay(d) || DATE_TOKENS.date(d),
  date_short_pretty: (d) => relativeDay(d) || DATE_TOKENS.date_short(d),
  date_long_pretty: (d) => relativeDay(d) || DATE_TOKENS.date_long(d),
  time: (d) => d.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" }),
  time_secs: (d) => d.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit", second: "2-digit" }),
};

/** The text of a Slack date, or the fallback when it cannot be formatted. */
function slackDateText(epoch, format, fallback) {
  const date = new Date(Number(epoch) * 1000);
  if (!format || !/^\d+(\.\d+)?$/.test(String(epoch)) || isNaN(date.getTime())) return fallback;
  let unknown = false;
  const text = format.replace(/\{(\w+)\}/g, (whole, token) => {
    if (DATE_TOKENS[token]) return DATE_TOKENS[token](date);
    unknown = true;
    return whole;
  });
  return unknown && fallback ? fallback : text;
}

// ---------------------------------------------------------------------------
// mrkdwn → DOM

const decodeEntities = (text) => text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const WORD_CHAR = /[\p{L}\p{N}]/u;
const FORMATS = { "*": "strong", _: "em", "~": "s" };

/** A link target a click may open: web and mail links only (no javascript: and the like). */
function safeUrl(url) {
  return /^(https?:\/\/|mailto:)/i.test(url) ? url : null;
}

function externalLink(url, label) {
  return h("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "link" }, label);
}

function mrkdwn(text) {
  const root = h("span", { class: "mrkdwn" });
  const pieces = String(text || "").split("```");
  if (pieces.length % 2 === 0) pieces[pieces.length - 2] += "```" + pieces.pop(); // unclosed fence
  pieces.forEach((piece, index) => {
    if (index % 2 === 1) {
      root.append(h("pre", { class: "pre" }, decodeEntities(piece.replace(/^\n/, "").replace(/\n$/, ""))));
      return;
    }
    if (index > 0) piece = piece.replace(/^\n/, "");
    if (index < pieces.length - 1) piece = piece.replace(/\n$/, "");
    if (piece) appendLines(root, piece);
  });
  return root;
}

/** Lines with quotes ("> " or "&gt; " at the start) grouped into blockquotes. */
function appendLines(root, text) {
  let quote = null;
  let needBreak = false;
  for (const line of text.split("\n")) {
    const quoted = /^(>|&gt;)/.exec(line);
    if (quoted) {
      if (!quote) root.append((quote = h("blockquote", { class: "quote" })));
      else quote.append(h("br"));
      inline(line.slice(quoted[0].length).replace(/^ /, ""), quote);
      needBreak = false;
      continue;
    }
    quote = null;
    if (needBreak) root.append(h("br"));
    inline(line, root);
    needBreak = true;
  }
}

/** Inline mrkdwn: <special> tokens, `code`, *bold*, _italic_, ~strike~, :emoji:. */
function inline(text, out) {
  let buffer = "";
  const flush = () => {
    if (buffer) out.append(decodeEntities(buffer));
    buffer = "";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    let end = -1;
    if (c === "<" && (end = text.indexOf(">", i + 1)) > i + 1) {
      flush();
      out.append(specialToken(text.slice(i + 1, end)));
      i = end + 1;
    } else if (c === "`" && (end = text.indexOf("`", i + 1)) > i + 1) {
      flush();
      out.append(h("code", { class: "code" }, decodeEntities(text.slice(i + 1, end))));
      i = end + 1;
    } else if (FORMATS[c] && opensFormat(text, i) && (end = closingMark(text, i)) > 0) {
      flush();
      const node = h(FORMATS[c]);
      inline(text.slice(i + 1, end), node);
      out.append(node);
      i = end + 1;
    } else if (c === ":" && (end = emojiEnd(text, i)) > 0) {
      flush();
      const name = text.slice(i + 1, end);
      out.append(h("span", { class: "emoji", title: `:${name}:`, "aria-label": name }, EMOJI[name]));
      i = end + 1;
    } else {
      buffer += c;
      i += 1;
    }
  }
  flush();
}

function opensFormat(text, i) {
  const before = text[i - 1];
  const after = text[i + 1];
  return (i === 0 || !WORD_CHAR.test(before)) && after !== undefined && !/\s/.test(after) && after !== text[i];
}

/** Where the format opened at `i` closes on the same line, skipping code and <tokens>; -1 if it does not. */
function closingMark(text, i) {
  const mark = text[i];
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\n") return -1;
    if (c === "`" || c === "<") {
      const skip = text.indexOf(c === "`" ? "`" : ">", j + 1);
      if (skip > j) j = skip;
      continue;
    }
    const closes = c === mark && j > i + 1 && !/\s/.test(text[j - 1]);
    if (closes && (j + 1 === text.length || !WORD_CHAR.test(text[j + 1]))) return j;
  }
  return -1;
}

function emojiEnd(text, i) {
  const match = /^:([a-z0-9_+'-]+):/.exec(text.slice(i, i + 64));
  return match && EMOJI[match[1]] ? i + match[0].length - 1 : -1;
}

/** <@U…>, <#C…|name>, <!here>, <!subteam^S…|@ops>, <!date^…|fallback>, <https://…|label>. */
function specialToken(body) {
  const bar = body.indexOf("|");
  const target = bar >= 0 ? body.slice(0, bar) : body;
  const label = bar >= 0 ? decodeEntities(body.slice(bar + 1)) : "";
  if (target.startsWith("@")) return userMention(target.slice(1), label);
  if (target.startsWith("#")) return channelMention(target.slice(1), label);
  if (target.startsWith("!")) return command(target.slice(1), label);
  const url = safeUrl(decodeEntities(target));
  if (url) return externalLink(url, label || url);
  return document.createTextNode(label || decodeEntities(target));
}

function userMention(id, label) {
  const me = id === app.me ? " mention-me" : "";
  return h("span", { class: "mention" + me, dataset: { user: id } }, "@" + (label || userName(id)));
}

function channelMention(id, label) {
  const known = channels().some((c) => c.id === id);
  const name = "#" + (label || channelName(id));
  if (!known) return h("span", { class: "mention" }, name);
  return h("a", { href: "#", class: "mention channel-mention", dataset: { goto: id } }, name);
}

function command(body, label) {
  const parts = body.split("^");
  switch (parts[0]) {
    case "here":
    case "channel":
    case "everyone":
      return h("span", { class: "mention mention-broadcast" }, "@" + parts[0]);
    case "subteam":
      return h("span", { class: "mention" }, label || "@" + (parts[1] || "group"));
    case "date": {
      const text = slackDateText(parts[1], parts[2], label || "");
      const date = new Date(Number(parts[1]) * 1000);
      const title = isNaN(date.getTime()) ? label : date.toString();
      const link = parts[3] && safeUrl(parts[3]);
      return link ? externalLink(link, text) : h("span", { class: "date", title }, text);
    }
    default:
      return document.createTextNode(label || `<!${body}>`);
  }
}

/** A text object (plain_text or mrkdwn) as a node. */
function textObject(object, className) {
  if (!object) return null;
  if (typeof object === "string") return h("span", { class: className }, object);
  if (object.type === "mrkdwn") {
    const node = mrkdwn(object.text);
    if (className) node.classList.add(className);
    return node;
  }
  return h("span", { class: ["plain", className].filter(Boolean).join(" ") }, plainString(object));
}

/** The string of a plain_text object, with shortcodes turned into emoji unless emoji is false. */
function plainString(object) {
  if (!object) return "";
  if (typeof object === "string") return object;
  const text = String(object.text || "");
  return object.type === "mrkdwn" || object.emoji === false ? text : withEmoji(text);
}

// ---------------------------------------------------------------------------
// Block Kit → DOM
//
// A render context says where blocks are shown: {container, viewId, inputs}.
// `container` is sent with actions; `inputs` collects the input elements of a modal,
// each {blockId, actionId, read(), problem()}: problem() is what Slack itself would refuse.

const BLOCK_RENDERERS = {
  header: (block) => h("div", { class: "block block-header" }, plainString(block.text)),
  divider: () => h("hr", { class: "block block-divider" }),
  section: sectionBlock,
  context: contextBlock,
  actions: actionsBlock,
  input: inputBlock,
  image: imageBlock,
  rich_text: richTextBlock,
  markdown: (block) => h("div", { class: "block block-markdown" }, mrkdwn(block.text)),
};

function renderBlocks(blocks, ctx) {
  const root = h("div", { class: "blocks" });
  (blocks || []).forEach((block, index) => {
    const type = block && block.type;
    const render = BLOCK_RENDERERS[type];
    let node;
    try {
      node = render ? render(block, ctx, index) : null;
    } catch (error) {
      console.warn("could not render block", block, error);
      node = null;
    }
    if (!node) node = unsupported("block", type);
    if (block && block.block_id && !node.dataset.blockId) node.dataset.blockId = block.block_id;
    root.append(node);
  });
  return root;
}

const unsupported = (what, type) =>
  h("div", { class: "unsupported" }, `[unsupported ${what}: ${type || "unknown"}]`);

function sectionBlock(block, ctx) {
  const main = h("div", { class: "section-main" }, [textObject(block.text, "section-text")]);
  if (block.fields && block.fields.length) {
    main.append(h("div", { class: "section-fields" }, block.fields.map((f) => textObject(f, "section-field"))));
  }
  const accessory = block.accessory ? h("div", { class: "section-accessory" }, element(block.accessory, block, ctx)) : null;
  return h("div", { class: "block block-section" }, [main, accessory]);
}

function contextBlock(block) {
  const parts = (block.elements || []).map((el) =>
    el.type === "image" ? imageElement(el, "context-image") : textObject(el, "context-item"),
  );
  return h("div", { class: "block block-context" }, parts);
}

function actionsBlock(block, ctx) {
  return h("div", { class: "block block-actions" }, (block.elements || []).map((el) => element(el, block, ctx)));
}

function imageBlock(block) {
  return h("figure", { class: "block block-image" }, [
    block.title ? h("figcaption", {}, plainString(block.title)) : null,
    imageElement({ image_url: block.image_url, alt_text: block.alt_text }, "image"),
  ]);
}

function imageElement(el, className) {
  const url = el.image_url && (safeUrl(el.image_url) || (el.image_url.startsWith("/") ? el.image_url : null));
  if (!url) return h("span", { class: className + " image-missing" }, el.alt_text || "image");
  return h("img", { class: className, src: url, alt: el.alt_text || "", title: el.alt_text || "" });
}

function inputBlock(block, ctx, index) {
  const blockId = block.block_id || `block-${index}`;
  const fieldId = `input-${blockId}-${index}`;
  const label = h("label", { class: "input-label", for: fieldId }, [
    plainString(block.label),
    block.optional ? h("span", { class: "optional" }, " (optional)") : null,
  ]);
  const node = h("div", { class: "block block-input", dataset: { blockId } }, [label]);
  node.append(element(block.element || {}, { ...block, block_id: blockId }, ctx, { inInput: true, fieldId }));
  node.append(h("div", { class: "input-error", role: "alert", hidden: true }));
  if (block.hint) node.append(h("div", { class: "input-hint" }, plainString(block.hint)));
  return node;
}

/** Rich text is shown plainly: its words, mentions and emoji, with lists and quotes kept apart. */
function richTextBlock(block) {
  const node = h("div", { class: "block block-rich-text" });
  for (const part of block.elements || []) node.append(richTextPart(part));
  return node;
}

function richTextPart(part) {
  const items = part.elements || [];
  switch (part.type) {
    case "rich_text_list":
      return h(part.style === "ordered" ? "ol" : "ul", {}, items.map((item) => h("li", {}, richTextPart(item))));
    case "rich_text_preformatted":
      return h("pre", { class: "pre" }, items.map(richTextInline));
    case "rich_text_quote":
      return h("blockquote", { class: "quote" }, items.map(richTextInline));
    default:
      return h("div", {}, items.map(richTextInline));
  }
}

/** Rich text gives an emoji's code points as hex, e.g. "1f389" or "1f1ec-1f1e7". */
function unicodeEmoji(hex) {
  if (!/^[0-9a-f]+(-[0-9a-f]+)*$/i.test(hex || "")) return "";
  return String.fromCodePoint(...hex.split("-").map((part) => parseInt(part, 16)));
}

function richTextInline(item) {
  switch (item.type) {
    case "text":
      return item.text || "";
    case "link":
      return safeUrl(item.url || "") ? externalLink(item.url, item.text || item.url) : item.text || "";
    case "user":
      return userMention(item.user_id, "");
    case "channel":
      return channelMention(item.channel_id, "");
    case "usergroup":
      return h("span", { class: "mention" }, "@" + item.usergroup_id);
    case "broadcast":
      return h("span", { class: "mention mention-broadcast" }, "@" + item.range);
    case "emoji":
      return EMOJI[item.name] || unicodeEmoji(item.unicode) || `:${item.name}:`;
    case "date":
      return slackDateText(item.timestamp, item.format, item.fallback || "");
    default:
      return item.text || "";
  }
}

// ---------------------------------------------------------------------------
// Interactive elements

function element(el, block, ctx, options = {}) {
  switch (el.type) {
    case "button":
      return buttonElement(el, block, ctx);
    case "static_select":
      return staticSelect(el, block, ctx, options);
    case "external_select":
      return externalSelect(el, block, ctx, options);
    case "users_select":
      return usersSelect(el, block, ctx, options);
    case "overflow":
      return overflowMenu(el, block, ctx);
    case "image":
      return imageElement(el, "accessory-image");
    case "plain_text_input":
    case "number_input":
    case "email_text_input":
    case "url_text_input":
      return textInput(el, block, ctx, options);
    case "datepicker":
      return datePicker(el, block, ctx, options);
    default:
      return unsupported("element", el.type);
  }
}

function buttonElement(el, block, ctx) {
  const style = el.style === "primary" || el.style === "danger" ? " " + el.style : "";
  const button = h("button", {
    type: "button",
    class: "bk-button" + style,
    dataset: { actionId: el.action_id || "" },
  }, plainString(el.text));
  if (el.value !== undefined) button.dataset.value = el.value;
  if (el.url) button.dataset.url = el.url;
  button.addEventListener("click", async () => {
    if (el.confirm && !(await askConfirm(el.confirm))) return;
    const url = el.url && safeUrl(el.url);
    if (url) window.open(url, "_blank", "noopener");
    const action = { type: "button", action_id: el.action_id, block_id: block.block_id || null, value: el.value ?? null };
    busyWhile(button, sendAction(ctx, action));
  });
  return button;
}

/** Disable an element while its request is in flight. */
async function busyWhile(node, promise) {
  node.disabled = true;
  node.classList.add("busy");
  try {
    await promise;
  } finally {
    node.disabled = false;
    node.classList.remove("busy");
  }
}

async function sendAction(ctx, action) {
  const body = { container: ctx.container, action };
  if (ctx.container.type === "view") body.values = collectValues(ctx).values;
  try {
    const answer = await api("/api/action", body);
    if (answer && answer.ok === false) showToast(answer.error || "Outpost refused that action.");
  } catch (error) {
    showToast("Could not reach the sandbox: " + error.message);
  }
}

/** Input elements in an input block register how to read them; others act at once. */
function registerInput(ctx, block, el, read, problem = () => null) {
  if (!ctx.inputs) return;
  ctx.inputs.push({
    blockId: block.block_id,
    actionId: el.action_id || "action",
    read,
    problem,
  });
}

function textInput(el, block, ctx, { inInput, fieldId }) {
  const kinds = { number_input: "text", email_text_input: "email", url_text_input: "url" };
  const attrs = {
    id: fieldId,
    class: "bk-input",
    placeholder: el.placeholder ? plainString(el.placeholder) : null,
    value: el.initial_value || "",
    dataset: { actionId: el.action_id || "" },
  };
  if (el.max_length) attrs.maxLength = el.max_length;
  const input = el.multiline
    ? h("textarea", { ...attrs, rows: 4 })
    : h("input", { ...attrs, type: kinds[el.type] || "text", inputmode: el.type === "number_input" ? "decimal" : null });
  if (!inInput) return input;
  registerInput(ctx, block, el, () => ({ type: el.type, value: input.value === "" ? null : input.value }), () => {
    const length = input.value.trim().length;
    if (!length) return block.optional ? null : "Please fill out this required field.";
    if (el.min_length && input.value.length < el.min_length) return `Please enter at least ${el.min_length} characters.`;
    return null;
  });
  return input;
}

function datePicker(el, block, ctx, { inInput, fieldId }) {
  const input = h("input", { id: fieldId, type: "date", class: "bk-input bk-date", value: el.initial_date || "", dataset: { actionId: el.action_id || "" } });
  if (inInput) {
    registerInput(ctx, block, el, () => ({ type: "datepicker", selected_date: input.value || null }), () =>
      !input.value && !block.optional ? "Please select a date." : null,
    );
  }
  return input;
}

/** The options of a select, flattened, with their groups kept for display. */
function optionGroups(el) {
  if (el.option_groups) return el.option_groups.map((g) => ({ label: plainString(g.label), options: g.options || [] }));
  return [{ label: null, options: el.options || [] }];
}

function staticSelect(el, block, ctx, { inInput, fieldId }) {
  const select = h("select", { id: fieldId, class: "bk-select", dataset: { actionId: el.action_id || "" } });
  select.append(h("option", { value: "" }, el.placeholder ? plainString(el.placeholder) : "Select an item"));
  const byValue = new Map();
  for (const group of optionGroups(el)) {
    const parent = group.label ? select.appendChild(h("optgroup", { label: group.label })) : select;
    for (const option of group.options) {
      byValue.set(option.value, option);
      parent.append(h("option", { value: option.value }, plainString(option.text)));
    }
  }
  if (el.initial_option) select.value = el.initial_option.value;
  const selected = () => byValue.get(select.value) || null;
  if (inInput) {
    registerInput(ctx, block, el, () => ({ type: "static_select", selected_option: selected() }), () =>
      !selected() && !block.optional ? "Please select an option." : null,
    );
  } else {
    select.addEventListener("change", () => {
      if (!selected()) return;
      const action = { type: "static_select", action_id: el.action_id, block_id: block.block_id || null, selected_option: selected() };
      busyWhile(select, sendAction(ctx, action));
    });
  }
  return select;
}

function usersSelect(el, block, ctx, { inInput, fieldId }) {
  const select = h("select", { id: fieldId, class: "bk-select", dataset: { actionId: el.action_id || "" } });
  select.append(h("option", { value: "" }, el.placeholder ? plainString(el.placeholder) : "Select a user"));
  for (const [id, user] of Object.entries(users())) {
    if (id === botId()) continue;
    select.append(h("option", { value: id }, user.real_name || user.name || id));
  }
  if (el.initial_user) select.value = el.initial_user;
  if (inInput) {
    registerInput(ctx, block, el, () => ({ type: "users_select", selected_user: select.value || null }), () =>
      !select.value && !block.optional ? "Please select a user." : null,
    );
  } else {
    select.addEventListener("change", () => {
      if (!select.value) return;
      const action = { type: "users_select", action_id: el.action_id, block_id: block.block_id || null, selected_user: select.value };
      busyWhile(select, sendAction(ctx, action));
    });
  }
  return select;
}

/** external_select: a text box whose options come from /api/options as the person types. */
function externalSelect(el, block, ctx, { inInput, fieldId }) {
  const minLength = el.min_query_length ?? 3;
  let selected = el.initial_option || null;
  let timer = null;
  let query = 0;
  let active = -1;
  const input = h("input", {
    id: fieldId,
    type: "text",
    class: "bk-input",
    autocomplete: "off",
    role: "combobox",
    "aria-expanded": "false",
    placeholder: el.placeholder ? plainString(el.placeholder) : "Search",
  });
  const list = h("ul", { class: "options", role: "listbox", hidden: true });
  const wrap = h("div", { class: "external-select", dataset: { actionId: el.action_id || "" } }, [input, list]);
  const choices = () => [...list.querySelectorAll("li[data-value]")];

  const show = (on) => {
    list.hidden = !on;
    input.setAttribute("aria-expanded", String(on));
  };
  const setSelected = (option) => {
    selected = option;
    input.value = option ? plainString(option.text) : "";
    if (option) wrap.dataset.value = option.value;
    else delete wrap.dataset.value;
  };
  setSelected(selected);

  const fill = (answer) => {
    list.replaceChildren();
    active = -1;
    const groups = answer.option_groups
      ? answer.option_groups.map((g) => ({ label: plainString(g.label), options: g.options || [] }))
      : [{ label: null, options: answer.options || [] }];
    for (const group of groups) {
      if (group.label) list.append(h("li", { class: "options-group" }, group.label));
      for (const option of group.options) {
        const item = h("li", { role: "option", dataset: { value: option.value } }, plainString(option.text));
        item.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep focus in the input until the pick is done
          pick(option);
        });
        item._option = option;
        list.append(item);
      }
    }
    if (!choices().length) list.append(h("li", { class: "options-empty" }, "No matches"));
    show(true);
  };

  const search = async (value) => {
    const mine = ++query;
    list.replaceChildren(h("li", { class: "options-empty" }, "Searching…"));
    show(true);
    try {
      const body = { view_id: ctx.viewId || null, action_id: el.action_id, block_id: block.block_id || null, value };
      const answer = await api("/api/options", body);
      if (mine === query && document.activeElement === input) fill(answer || {});
    } catch (error) {
      if (mine === query) list.replaceChildren(h("li", { class: "options-empty" }, "Could not load options"));
    }
  };

  const pick = (option) => {
    setSelected(option);
    show(false);
    query += 1;
    if (!inInput) {
      const action = { type: "external_select", action_id: el.action_id, block_id: block.block_id || null, selected_option: option };
      sendAction(ctx, action);
    }
  };

  const highlight = (index) => {
    const items = choices();
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach((item, i) => item.classList.toggle("active", i === active));
    items[active].scrollIntoView({ block: "nearest" });
  };

  input.addEventListener("focus", () => {
    input.select();
    if (minLength === 0) search("");
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    if (input.value.length < minLength) {
      query += 1;
      show(false);
      return;
    }
    timer = setTimeout(() => search(input.value), 250);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      event.preventDefault();
      const item = choices()[active] || (choices().length === 1 ? choices()[0] : null);
      if (item) pick(item._option);
    } else if (event.key === "Escape" && !list.hidden) {
      event.stopPropagation();
      show(false);
    }
  });
  input.addEventListener("blur", () => {
    clearTimeout(timer);
    query += 1;
    show(false);
    // Typed text that was not picked is not a choice: an emptied box clears it, anything else restores it.
    setSelected(input.value.trim() === "" ? null : selected);
  });

  if (inInput) {
    registerInput(ctx, block, el, () => ({ type: "external_select", selected_option: selected }), () =>
      !selected && !block.optional ? "Please select an option." : null,
    );
  }
  return wrap;
}

function overflowMenu(el, block, ctx) {
  const menu = h("ul", { class: "overflow-menu", role: "menu", hidden: true });
  const button = h("button", {
    type: "button",
    class: "bk-button overflow-button",
    "aria-label": "More actions",
    dataset: { actionId: el.action_id || "" },
  }, "⋯");
  for (const option of el.options || []) {
    const item = h("li", { role: "menuitem", dataset: { value: option.value } }, plainString(option.text));
    item.addEventListener("click", () => {
      menu.hidden = true;
      const url = option.url && safeUrl(option.url);
      if (url) window.open(url, "_blank", "noopener");
      sendAction(ctx, { type: "overflow", action_id: el.action_id, block_id: block.block_id || null, selected_option: option });
    });
    menu.append(item);
  }
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    const open = menu.hidden;
    closeMenus();
    menu.hidden = !open;
  });
  return h("div", { class: "overflow" }, [button, menu]);
}

function closeMenus() {
  for (const menu of document.querySelectorAll(".overflow-menu")) menu.hidden = true;
}

/** Slack's view.state.values from the inputs of a render context, and what is missing or wrong. */
function collectValues(ctx) {
  const values = {};
  const problems = {};
  for (const input of ctx.inputs || []) {
    values[input.blockId] = values[input.blockId] || {};
    values[input.blockId][input.actionId] = input.read();
    const problem = input.problem();
    if (problem && !problems[input.blockId]) problems[input.blockId] = problem;
  }
  return { values, problems };
}

// ---------------------------------------------------------------------------
// Confirm dialog for buttons with a "confirm" object

function askConfirm(confirm) {
  const dialog = $("confirm");
  $("confirm-title").textContent = plainString(confirm.title) || "Are you sure?";
  $("confirm-text").replaceChildren(textObject(confirm.text) || "");
  $("confirm-yes").textContent = plainString(confirm.confirm) || "Yes";
  $("confirm-no").textContent = plainString(confirm.deny) || "Cancel";
  $("confirm-yes").className = "bk-button " + (confirm.style === "danger" ? "danger" : "primary");
  dialog.hidden = false;
  $("confirm-yes").focus();
  return new Promise((resolve) => {
    const finish = (answer) => {
      dialog.hidden = true;
      askConfirm.pending = null;
      resolve(answer);
    };
    askConfirm.pending = finish;
    $("confirm-yes").onclick = () => finish(true);
    $("confirm-no").onclick = () => finish(false);
  });
}

// ---------------------------------------------------------------------------
// Messages

const AVATAR_COLOURS = ["#1d9bd1", "#2bac76", "#e8912d", "#9b51e0", "#e01e5a", "#4a7b9d", "#b0541c", "#0b7a75"];

/** Personas get a colour each, in their order; anyone else one from a hash of their id. */
function avatarColour(userId) {
  const personas = (app.state && app.state.personas) || [];
  const index = personas.findIndex((p) => p.id === userId);
  if (index >= 0) return AVATAR_COLOURS[index % AVATAR_COLOURS.length];
  let hash = 0;
  for (const ch of userId || "") hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return AVATAR_COLOURS[hash % AVATAR_COLOURS.length];
}

function avatar(userId, className = "avatar") {
  const name = userName(userId);
  const isBot = userId === botId();
  const initials = name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("") || "?";
  const colour = isBot ? "#611f69" : avatarColour(userId);
  return h("span", { class: className + (isBot ? " avatar-bot" : ""), style: `background:${colour}`, "aria-hidden": "true" }, initials);
}

const tsDate = (ts) => new Date(parseFloat(ts) * 1000);
const clock = (ts) => tsDate(ts).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
const messageKey = (m) => `${m.channel}:${m.ts}`;
const isTopLevel = (m) => !m.thread_ts || m.thread_ts === m.ts;

function messageNode(m, { replies = [], inThread = false } = {}) {
  const fromBot = m.user === botId() || (!m.user && m.bot_id);
  const userId = m.user || botId();
  const header = h("div", { class: "message-header" }, [
    h("span", { class: "sender" }, userName(userId)),
    fromBot ? h("span", { class: "badge-app" }, "APP") : null,
    h("span", { class: "time", title: tsDate(m.ts).toLocaleString() }, clock(m.ts)),
  ]);
  const ctx = { container: { type: "message", channel: m.channel, message_ts: m.ts } };
  const content = m.blocks && m.blocks.length ? renderBlocks(m.blocks, ctx) : h("div", { class: "message-text" }, mrkdwn(m.text));
  const body = h("div", { class: "message-body" }, [header, content]);
  if (m.edited) body.append(h("span", { class: "edited" }, "(edited)"));
  if (m.files && m.files.length) body.append(filesNode(m.files));
  const count = Math.max(m.reply_count || 0, replies.length);
  if (!inThread && count > 0) body.append(repliesLink(m, count, replies));
  const node = h("div", {
    class: "message" + (m.ephemeral ? " ephemeral" : "") + (fromBot ? " from-bot" : ""),
    dataset: { ts: m.ts, channelId: m.channel, user: userId },
  }, [avatar(userId), body]);
  if (m.ephemeral) node.prepend(ephemeralNote(m));
  return node;
}

function ephemeralNote(m) {
  const dismiss = h("button", { type: "button", class: "dismiss link-button" }, "Dismiss");
  dismiss.addEventListener("click", () => {
    app.dismissed.add(messageKey(m));
    render();
  });
  return h("div", { class: "ephemeral-note" }, [h("span", { class: "eye", "aria-hidden": "true" }, "👁"), "Only visible to you · ", dismiss]);
}

function filesNode(files) {
  const base = (app.state && app.state.file_url) || "/api/files/";
  return h("div", { class: "files" }, files.map((file) =>
    h("a", { class: "file", href: `${base}${encodeURIComponent(file.id)}?as=${encodeURIComponent(app.me)}`, download: file.name || file.id, dataset: { fileId: file.id } }, [
      h("span", { class: "file-icon", "aria-hidden": "true" }, "📄"),
      h("span", { class: "file-name" }, file.title || file.name || `File ${file.id}`),
      file.title && file.name && file.title !== file.name ? h("span", { class: "file-meta" }, file.name) : null,
    ]),
  ));
}

function repliesLink(m, count, replies) {
  const last = replies[replies.length - 1];
  const link = h("button", { type: "button", class: "replies", dataset: { ts: m.ts } }, [
    h("span", { class: "replies-count" }, count === 1 ? "1 reply" : `${count} replies`),
    last ? h("span", { class: "replies-last" }, `Last reply ${dayLabel(last.ts)} at ${clock(last.ts)}`) : null,
  ]);
  link.addEventListener("click", () => openThread(m.channel, m.ts));
  return link;
}

function dayLabel(ts) {
  const date = tsDate(ts);
  return relativeDay(date) || date.toLocaleDateString(undefined, { weekday: "long", month: "long", day: "numeric" });
}

/**
 * Show `items` ({key, signature, build}) in `container`, reusing the node of every item whose
 * signature did not change, so that re-rendering keeps selects, typed text and scroll as they are.
 */
function reconcile(container, cache, items) {
  const next = new Map();
  items.forEach((item, index) => {
    let entry = cache.get(item.key);
    if (!entry || entry.signature !== item.signature) entry = { signature: item.signature, node: item.build() };
    next.set(item.key, entry);
    const current = container.children[index];
    if (current !== entry.node) container.insertBefore(entry.node, current || null);
  });
  while (container.children.length > items.length) container.lastChild.remove();
  cache.clear();
  for (const [key, entry] of next) cache.set(key, entry);
}

const atBottom = (list) => list.scrollHeight - list.scrollTop - list.clientHeight < 80;

/** Keep a scrolled list at its bottom across a change, unless the person scrolled up. */
function keepScroll(container, change, forceBottom = false) {
  const wasAtBottom = atBottom(container);
  change();
  if (wasAtBottom || forceBottom) container.scrollTop = container.scrollHeight;
}

/** Top-level messages and their replies, for one channel, without dismissed ephemerals. */
function channelMessages(channelId) {
  const all = ((app.state && app.state.messages) || []).filter(
    (m) => m.channel === channelId && !app.dismissed.has(messageKey(m)),
  );
  const replies = new Map();
  for (const m of all) {
    if (isTopLevel(m)) continue;
    if (!replies.has(m.thread_ts)) replies.set(m.thread_ts, []);
    replies.get(m.thread_ts).push(m);
  }
  return { top: all.filter(isTopLevel), replies };
}

function messageItem(m, replies, options = {}) {
  const signature = JSON.stringify([m, replies.length, replies.length ? replies[replies.length - 1].ts : null, options.inThread || false]);
  return { key: messageKey(m), signature, build: () => messageNode(m, { replies, ...options }) };
}

function dayDivider(ts) {
  const label = dayLabel(ts);
  const text = label.charAt(0).toUpperCase() + label.slice(1);
  return { key: "day:" + tsDate(ts).toDateString() + ":" + text, signature: text, build: () => h("div", { class: "day-divider" }, h("span", {}, text)) };
}

const messageCache = new Map();
const threadCache = new Map();

function renderMessages(channel) {
  const container = $("messages");
  const { top, replies } = channelMessages(channel.id);
  const items = [];
  if (isWelcomeChannel(channel) && store.get("welcome-dismissed") !== "1") items.push(welcomeItem());
  let lastDay = null;
  for (const m of top) {
    const day = tsDate(m.ts).toDateString();
    if (day !== lastDay) items.push(dayDivider(m.ts));
    lastDay = day;
    items.push(messageItem(m, replies.get(m.ts) || []));
  }
  if (!top.length) items.push(emptyChannelItem(channel));
  reconcile(container, messageCache, items);
  for (const node of container.querySelectorAll(".message")) {
    const open = app.thread && app.thread.channel === node.dataset.channelId && app.thread.ts === node.dataset.ts;
    node.classList.toggle("thread-open", Boolean(open));
  }
}

function emptyChannelItem(channel) {
  const text = channel.kind === "dm"
    ? "This is your direct message with Outpost. Try /account help."
    : `This is the very beginning of #${channel.name}.`;
  return { key: "empty", signature: text, build: () => h("div", { class: "channel-empty" }, text) };
}

// ---------------------------------------------------------------------------
// Welcome card, shown once at the top of #platform

function isWelcomeChannel(channel) {
  const named = channels().find((c) => c.name === "platform");
  return channel.id === (named || channels().find((c) => c.kind === "channel") || {}).id;
}

function welcomeItem() {
  const personas = (app.state && app.state.personas) || [];
  const names = (role) => personas.filter((p) => p.role === role).map((p) => p.real_name).join(", ");
  const approvals = ["ops-approvals", "outpost-audit"].map((name) => channels().find((c) => c.name === name)).find(Boolean);
  const signature = JSON.stringify([names("engineer"), names("ops"), approvals && approvals.id]);
  const build = () => {
    const dismiss = h("button", { id: "welcome-dismiss", type: "button", class: "icon-button", "aria-label": "Dismiss the welcome" }, "×");
    dismiss.addEventListener("click", () => {
      store.set("welcome-dismissed", "1");
      render();
    });
    const code = (text) => h("code", { class: "code" }, text);
    return h("div", { id: "welcome", class: "welcome" }, [
      h("div", { class: "welcome-header" }, [h("strong", {}, "Welcome to the Outpost sandbox"), dismiss]),
      h("ol", {}, [
        h("li", {}, [`Pick who you are at the top right: an engineer (${names("engineer")}) or ops (${names("ops")}).`]),
        h("li", {}, ["Type ", code("/account new"), " below to ask for an AWS account, and follow its card's thread."]),
        h("li", {}, ["Ask for access with ", code("/account breakglass"), ", then switch to an ops persona to approve it in ", approvals ? channelMention(approvals.id, "") : "the approvals channel", "."]),
      ]),
    ]);
  };
  return { key: "welcome", signature, build };
}

// ---------------------------------------------------------------------------
// Threads

function openThread(channel, ts) {
  app.thread = { channel, ts };
  threadCache.clear();
  $("thread-messages").replaceChildren();
  $("thread-composer-error").hidden = true;
  render({ threadBottom: true });
  $("thread-composer").focus();
}

function closeThread() {
  app.thread = null;
  render();
}

function renderThread(forceBottom) {
  const pane = $("thread");
  const open = app.thread && app.state;
  const parent = open && app.state.messages.find((m) => m.channel === app.thread.channel && m.ts === app.thread.ts);
  if (!parent) {
    app.thread = null;
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  $("thread-channel").textContent = channelLabel(channels().find((c) => c.id === parent.channel));
  const replies = channelMessages(parent.channel).replies.get(parent.ts) || [];
  const count = replies.length;
  const items = [
    messageItem(parent, replies, { inThread: true }),
    { key: "count", signature: String(count), build: () => h("div", { class: "thread-count" }, h("span", {}, count === 1 ? "1 reply" : `${count} replies`)) },
    ...replies.map((m) => messageItem(m, [], { inThread: true })),
  ];
  const container = $("thread-messages");
  keepScroll(container, () => reconcile(container, threadCache, items), forceBottom);
}

function channelLabel(channel) {
  if (!channel) return "";
  return channel.kind === "dm" ? channel.name || "Outpost" : "#" + channel.name;
}

// ---------------------------------------------------------------------------
// Composers

function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = Math.min(textarea.scrollHeight, 220) + "px";
}

function setupComposer(textarea, sendButton, errorBox, target) {
  const send = async () => {
    const text = textarea.value;
    const where = target();
    if (!text.trim() || !where) return;
    errorBox.hidden = true;
    textarea.value = "";
    autosize(textarea);
    app.stickToBottom = true;
    try {
      const answer = await api("/api/message", { channel: where.channel, thread_ts: where.thread_ts, text });
      if (answer && answer.ok === false) failed(answer.error || "The sandbox refused the message.");
    } catch (error) {
      failed("Could not reach the sandbox: " + error.message);
    }
    function failed(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
      if (!textarea.value) {
        textarea.value = text; // give the text back, as Slack does
        autosize(textarea);
      }
    }
  };
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  textarea.addEventListener("input", () => autosize(textarea));
  sendButton.addEventListener("click", () => {
    send();
    textarea.focus();
  });
}

// ---------------------------------------------------------------------------
// Modal

function renderModal() {
  const modal = app.state && app.state.modal;
  const local = app.modal;
  if (!modal || modal.id !== local.dismissedId) local.dismissedId = null;
  if (!modal || modal.id === local.dismissedId) {
    hideModal();
    return;
  }
  const view = modal.view || {};
  const key = modal.id + "|" + (view.hash || JSON.stringify(view));
  if (key !== local.key) buildModal(modal, key);
  const errors = JSON.stringify(modal.errors || {});
  if (errors !== local.appliedErrors) {
    local.appliedErrors = errors;
    showModalErrors(modal.errors || {});
  }
}

function buildModal(modal, key) {
  const view = modal.view || {};
  const wasOpen = !$("modal").hidden;
  const ctx = { container: { type: "view", view_id: modal.id }, viewId: modal.id, inputs: [] };
  Object.assign(app.modal, { key, id: modal.id, ctx, appliedErrors: null });
  $("modal-title").textContent = plainString(view.title) || "Outpost";
  $("modal-body").replaceChildren(renderBlocks(view.blocks, ctx));
  $("modal-body").scrollTop = 0;
  $("modal-close").textContent = plainString(view.close) || "Cancel";
  $("modal-submit").textContent = plainString(view.submit) || "Submit";
  $("modal-submit").hidden = !view.submit;
  $("modal-submit").disabled = app.modal.submitting;
  $("modal-error").hidden = true;
  $("modal").hidden = false;
  // Focus the first field, also when a loading view is replaced by the form.
  const first = $("modal-body").querySelector("input, textarea, select");
  if (first) first.focus();
  else if (!wasOpen) $("modal-close").focus();
}

function focusComposer() {
  const composer = app.thread ? $("thread-composer") : $("composer");
  if (composer.offsetParent) composer.focus();
}

function hideModal() {
  $("modal").hidden = true;
  app.modal.key = null;
  app.modal.ctx = null;
}

function showModalErrors(errors) {
  const body = $("modal-body");
  for (const block of body.querySelectorAll(".block-input")) {
    block.classList.remove("has-error");
    const box = block.querySelector(".input-error");
    box.hidden = true;
    box.textContent = "";
  }
  const unplaced = [];
  for (const [blockId, message] of Object.entries(errors)) {
    const block = body.querySelector(`[data-block-id="${CSS.escape(blockId)}"]`);
    const box = block && block.querySelector(".input-error");
    if (!box) {
      unplaced.push(message);
      continue;
    }
    block.classList.add("has-error");
    box.textContent = message;
    box.hidden = false;
  }
  $("modal-error").textContent = unplaced.join(" ");
  $("modal-error").hidden = !unplaced.length;
  const first = body.querySelector(".has-error");
  if (first) first.scrollIntoView({ block: "nearest" });
}

/** An inline error goes once the person changes the field it is about. */
function clearFieldError(event) {
  const block = event.target.closest(".block-input.has-error");
  if (!block) return;
  block.classList.remove("has-error");
  block.querySelector(".input-error").hidden = true;
}

async function submitModal() {
  const local = app.modal;
  if (local.submitting || !local.ctx || $("modal-submit").hidden) return;
  const { values, problems } = collectValues(local.ctx);
  if (Object.keys(problems).length) {
    showModalErrors(problems); // what Slack itself checks before sending anything
    return;
  }
  const viewId = local.id;
  local.submitting = true;
  $("modal-submit").disabled = true;
  $("modal-submit").classList.add("busy");
  showModalErrors({});
  try {
    const answer = await api("/api/submit", { view_id: viewId, values });
    if (answer.ok === false) {
      $("modal-error").textContent = answer.error || "Outpost refused the form.";
      $("modal-error").hidden = false;
    } else if (answer.closed && app.modal.id === viewId) {
      app.modal.dismissedId = viewId;
      hideModal();
      focusComposer();
    } else if (answer.errors && app.modal.id === viewId) {
      app.modal.appliedErrors = JSON.stringify(answer.errors);
      showModalErrors(answer.errors);
    }
  } catch (error) {
    $("modal-error").textContent = "Could not reach the sandbox: " + error.message;
    $("modal-error").hidden = false;
  } finally {
    local.submitting = false;
    $("modal-submit").disabled = false;
    $("modal-submit").classList.remove("busy");
  }
}

function closeModal() {
  const viewId = app.modal.id;
  if (!viewId || $("modal").hidden) return;
  app.modal.dismissedId = viewId;
  hideModal();
  focusComposer();
  api("/api/close", { view_id: viewId }).catch((error) => showToast("Could not reach the sandbox: " + error.message));
}

// ---------------------------------------------------------------------------
// App Home

function renderHome() {
  const home = app.state.home;
  const signature = JSON.stringify(home);
  if (signature === app.homeSignature) return;
  app.homeSignature = signature;
  const container = $("home");
  if (!home) {
    container.replaceChildren(h("div", { class: "channel-empty" }, "Outpost is publishing your App Home…"));
    return;
  }
  const ctx = { container: { type: "home" }, viewId: home.id || null };
  const scroll = container.scrollTop;
  container.replaceChildren(renderBlocks(home.blocks, ctx));
  container.scrollTop = scroll;
}

function openHome() {
  api("/api/home").catch((error) => showToast("Could not open the App Home: " + error.message));
}

// ---------------------------------------------------------------------------
// Top bar, sidebar, channel header

function renderTopbar() {
  const state = app.state;
  document.title = `${state.workspace || "Outpost sandbox"} · Slack emulator`;
  $("workspace-name").textContent = state.workspace || "Outpost sandbox";
  $("sidebar-workspace-name").textContent = state.workspace || "Outpost sandbox";
  const select = $("persona");
  const signature = JSON.stringify(state.personas || []);
  if (select.dataset.signature !== signature) {
    select.dataset.signature = signature;
    select.replaceChildren(...(state.personas || []).map((p) =>
      h("option", { value: p.id, title: p.title || "" }, `${p.real_name} — ${p.role}`),
    ));
  }
  select.value = app.me;
  const persona = (state.personas || []).find((p) => p.id === app.me);
  $("me-avatar").replaceWith(Object.assign(avatar(app.me, "avatar avatar-small"), { id: "me-avatar", title: persona ? persona.title || "" : "" }));
}

function currentChannel() {
  const list = channels();
  if (app.channelKey === APP_KEY) return dmChannel() || list[0];
  return list.find((c) => c.id === app.channelKey && c.kind !== "dm") || list.find((c) => c.kind === "channel") || list[0];
}

function latestTs(channelId) {
  let latest = "0";
  for (const m of app.state.messages || []) {
    if (m.channel === channelId && m.user !== app.me && parseFloat(m.ts) > parseFloat(latest)) latest = m.ts;
  }
  return latest;
}

function renderSidebar(current) {
  const link = (channel, label, extra) => {
    const active = channel.id === current.id;
    if (active || !(channel.id in app.lastSeen)) app.lastSeen[channel.id] = latestTs(channel.id);
    const unread = !active && parseFloat(latestTs(channel.id)) > parseFloat(app.lastSeen[channel.id]);
    const node = h("a", {
      href: "#",
      class: "channel-link" + (active ? " active" : "") + (unread ? " unread" : ""),
      dataset: { channel: channel.id },
      title: channel.topic || "",
    }, [extra, h("span", { class: "channel-link-name" }, label)]);
    node.addEventListener("click", (event) => {
      event.preventDefault();
      selectChannel(channel.kind === "dm" ? APP_KEY : channel.id);
    });
    return h("li", {}, node);
  };
  const list = channels();
  $("channel-list").replaceChildren(...list.filter((c) => c.kind !== "dm").map((c) =>
    link(c, c.name, h("span", { class: "hash", "aria-hidden": "true" }, "#")),
  ));
  const dm = dmChannel();
  $("app-list").replaceChildren(...(dm ? [link(dm, dm.name || "Outpost", avatar(botId(), "avatar avatar-tiny"))] : []));
}

function selectChannel(key) {
  if (key === app.channelKey) return;
  app.channelKey = key;
  store.set("channel", key);
  app.thread = null;
  $("composer-error").hidden = true;
  messageCache.clear();
  $("messages").replaceChildren();
  if (key === APP_KEY && app.tab === "home") openHome();
  render({ bottom: true });
  $("composer").focus();
}

function selectTab(tab) {
  if (tab === app.tab) return;
  app.tab = tab;
  store.set("tab", tab);
  if (tab === "home") openHome();
  render({ bottom: true });
}

function renderChannelHeader(channel) {
  const isApp = channel.kind === "dm";
  const title = $("channel-title");
  title.replaceChildren(isApp ? avatar(botId(), "avatar avatar-tiny") : h("span", { class: "hash" }, "#"), " ", isApp ? channel.name || "Outpost" : channel.name);
  if (isApp) title.append(h("span", { class: "badge-app" }, "APP"));
  $("channel-topic").textContent = isApp ? "Your App Home and direct messages with Outpost" : channel.topic || "";
  $("app-tabs").hidden = !isApp;
  for (const tab of document.querySelectorAll("[data-tab]")) {
    const selected = isApp && tab.dataset.tab === app.tab;
    tab.classList.toggle("active", selected);
    tab.setAttribute("aria-selected", String(selected));
  }
  const composer = $("composer");
  composer.placeholder = isApp ? "Message Outpost — try /account help" : `Message #${channel.name} — try /account help`;
}

function renderMain(channel) {
  renderChannelHeader(channel);
  const showHome = channel.kind === "dm" && app.tab === "home";
  $("home").hidden = !showHome;
  $("messages").hidden = showHome;
  $("composer-area").hidden = showHome;
  if (showHome) renderHome();
  else renderMessages(channel);
}

// ---------------------------------------------------------------------------
// Slack outage banner and fault controls

function slackDownSeconds() {
  const state = app.state;
  const until = state && (state.slack_down_until || (state.faults && state.faults.slack_down_until));
  return until ? Math.max(0, Math.ceil(until - Date.now() / 1000)) : 0;
}

function renderBanner() {
  const seconds = slackDownSeconds();
  const banner = $("slack-down-banner");
  banner.hidden = seconds <= 0;
  if (seconds > 0) {
    banner.textContent = `Slack's Web API is down (emulated) for ${seconds} s: Outpost queues its messages and delivers them when it is back.`;
  }
}

function faultLines(faults) {
  const lines = [];
  const throttled = faults.throttle_remaining || 0;
  if (throttled === 1) lines.push("the next background AWS call will be throttled");
  else if (throttled > 1) lines.push(`the next ${throttled} background AWS calls will be throttled`);
  if (faults.fail_next_create) lines.push(`next CreateAccount will fail with ${faults.fail_next_create}`);
  if (faults.stall_create) lines.push("account creation is stalled: AWS keeps saying IN_PROGRESS");
  const down = slackDownSeconds();
  if (down > 0) lines.push(`Slack's Web API is down for ${down} s more`);
  return lines;
}

function renderFaults() {
  const state = app.state;
  const faults = state.faults || {};
  const lines = faultLines(faults);
  $("fault-status").replaceChildren(...(lines.length
    ? lines.map((line) => h("div", { class: "fault-line" }, line))
    : [h("div", { class: "fault-line fault-none" }, "No faults: AWS and Slack behave normally.")]));
  $("faults-toggle").classList.toggle("has-faults", lines.length > 0);
  $("faults-toggle").textContent = lines.length ? `Fault controls (${lines.length})` : "Fault controls";

  const reasons = (state.fault_choices && state.fault_choices.create_failure_reasons) || [];
  const select = $("fault-fail-reason");
  if (select.dataset.signature !== JSON.stringify(reasons)) {
    const chosen = select.value;
    select.dataset.signature = JSON.stringify(reasons);
    select.replaceChildren(...reasons.map((r) => h("option", { value: r }, r)));
    if (reasons.includes(chosen)) select.value = chosen;
  }
  if (!$("fault-stall").dataset.pending) $("fault-stall").checked = Boolean(faults.stall_create);
  $("fault-slack-up").hidden = slackDownSeconds() <= 0;
}

async function sendFault(body, control) {
  $("fault-error").hidden = true;
  const request = postJson("/api/faults", { as: app.me, ...body }).then((faults) => {
    if (faults && faults.ok === false) throw new Error(faults.error || "refused");
    if (faults && app.state) {
      app.state.faults = { ...app.state.faults, ...faults };
      if ("slack_down_until" in faults) app.state.slack_down_until = faults.slack_down_until;
      renderFaults();
      renderBanner();
    }
  }).catch((error) => {
    $("fault-error").textContent = "Could not change the faults: " + error.message;
    $("fault-error").hidden = false;
  });
  if (control) await busyWhile(control, request);
  else await request;
}

function setupFaults() {
  $("fault-throttle").addEventListener("click", (event) => {
    const count = Math.max(1, parseInt($("fault-throttle-count").value, 10) || 3);
    sendFault({ kind: "throttle", count }, event.currentTarget);
  });
  $("fault-fail").addEventListener("click", (event) => {
    if ($("fault-fail-reason").value) sendFault({ kind: "fail_create", reason: $("fault-fail-reason").value }, event.currentTarget);
  });
  $("fault-stall").addEventListener("change", async (event) => {
    const toggle = event.currentTarget;
    toggle.dataset.pending = "1";
    await sendFault({ kind: "stall_create", on: toggle.checked });
    delete toggle.dataset.pending;
  });
  $("fault-slack-down").addEventListener("click", (event) => sendFault({ kind: "slack_down", seconds: 60 }, event.currentTarget));
  $("fault-slack-up").addEventListener("click", (event) => sendFault({ kind: "slack_down", seconds: 0 }, event.currentTarget));
  $("fault-clear").addEventListener("click", (event) => sendFault({ kind: "clear" }, event.currentTarget));
}

// ---------------------------------------------------------------------------
// Drawers: fault controls and the AWS panel (one open at a time)

function toggleDrawer(name, open) {
  for (const other of ["faults", "aws"]) {
    const show = other === name ? open ?? $(other).hidden : false;
    $(other).hidden = !show;
    $(other + "-toggle").setAttribute("aria-expanded", String(show));
    $(other + "-toggle").classList.toggle("open", show);
  }
  // A drawer sits beside an open modal, not over it (style.css).
  document.body.dataset.drawer = ["faults", "aws"].find((other) => !$(other).hidden) || "";
  const awsOpen = !$("aws").hidden;
  clearInterval(app.aws.timer);
  app.aws.timer = null;
  if (awsOpen) {
    refreshAws();
    app.aws.timer = setInterval(refreshAws, 3000);
  }
}

async function refreshAws() {
  try {
    const response = await fetch("/api/aws", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    $("aws-error").hidden = true;
    const signature = JSON.stringify(data);
    if (signature === app.aws.signature) return;
    app.aws.signature = signature;
    renderAws(data);
  } catch (error) {
    $("aws-error").textContent = "Could not read the emulated AWS: " + error.message;
    $("aws-error").hidden = false;
  }
}

function renderAws(data) {
  const org = data.organization || {};
  const ous = org.ous || [];
  const accounts = org.accounts || [];
  const known = new Set([org.root_id, ...ous.map((ou) => ou.id)]);
  const parentOf = (item) => (known.has(item.parent_id) ? item.parent_id : org.root_id);
  const subtree = (parentId) => {
    const list = h("ul", { class: "aws-tree" });
    // Accounts first, so that a parent's own accounts never read as its last child OU's.
    for (const account of accounts.filter((a) => parentOf(a) === parentId)) list.append(awsAccount(account));
    for (const ou of ous.filter((o) => o.id !== parentId && parentOf(o) === parentId)) {
      list.append(h("li", { class: "aws-ou", dataset: { ouId: ou.id } }, [
        h("div", { class: "aws-ou-name" }, [h("span", { class: "aws-icon", "aria-hidden": "true" }, "📁"), ou.name, " ", h("span", { class: "aws-id" }, ou.id)]),
        subtree(ou.id),
      ]));
    }
    return list;
  };
  const root = h("div", { class: "aws-root" }, [
    h("div", { class: "aws-ou-name" }, [h("span", { class: "aws-icon", "aria-hidden": "true" }, "🏢"), "Root ", h("span", { class: "aws-id" }, `${org.root_id || "?"} · organization ${org.id || "?"}`)]),
    subtree(org.root_id),
  ]);
  $("aws-org").replaceChildren(root);
  $("aws-teams").replaceChildren(awsTeams(data.identity_center || {}));
  $("aws-assignments").replaceChildren(awsAssignments(data.identity_center || {}));
  const contacts = data.contacts || [];
  $("aws-contacts-section").hidden = !contacts.length;
  $("aws-contacts").replaceChildren(awsContacts(contacts));
  const budgets = data.budgets || [];
  $("aws-budgets-section").hidden = !budgets.length;
  $("aws-budgets").replaceChildren(awsBudgets(budgets));
}

function awsTeams(identityCenter) {
  const groups = identityCenter.groups || [];
  if (!groups.length) return h("p", { class: "aws-empty" }, "Identity Center has no groups.");
  const rows = groups.map((g) => h("tr", { class: "aws-team", dataset: { groupId: g.id } }, [
    h("td", {}, [h("span", { class: "aws-group" }, g.name), h("div", { class: "aws-account-meta" }, g.description || "")]),
    h("td", {}, (g.members || []).join(", ") || h("span", { class: "aws-empty" }, "no members")),
  ]));
  return h("table", { class: "aws-table" }, [
    h("thead", {}, h("tr", {}, [h("th", {}, "Group"), h("th", {}, "Members")])),
    h("tbody", {}, rows),
  ]);
}

function awsAccount(account) {
  const status = String(account.status || "UNKNOWN");
  return h("li", { class: "aws-account", dataset: { accountId: account.id } }, [
    h("div", { class: "aws-account-line" }, [
      h("span", { class: "aws-account-name" }, account.name),
      h("span", { class: "aws-status status-" + status.toLowerCase() }, status),
    ]),
    h("div", { class: "aws-account-meta" }, [h("span", { class: "aws-id" }, account.id), " · ", h("span", { class: "aws-email" }, account.email || "")]),
  ]);
}

function awsAssignments(identityCenter) {
  const assignments = identityCenter.assignments || [];
  if (!assignments.length) return h("p", { class: "aws-empty" }, "Nobody has access through Identity Center right now.");
  const personName = (user) => {
    const match = Object.entries(users()).find(([id, u]) => id === user || u.name === user || (user || "").split("@")[0] === u.name);
    return match ? `${match[1].real_name || match[1].name} (${user})` : user;
  };
  // A team's access is its group's; a person's (break-glass) is their own.
  const who = (a) => (a.principal_type === "GROUP"
    ? h("span", { class: "aws-group" }, [h("span", { class: "aws-icon", "aria-hidden": "true" }, "👥"), a.group, " ", h("span", { class: "aws-id" }, "group")])
    : personName(a.user));
  const rows = assignments.map((a) => h("tr", { class: "aws-assignment" + (a.principal_type === "GROUP" ? " aws-assignment-group" : "") }, [
    h("td", {}, who(a)),
    h("td", {}, [a.account_name || "", " ", h("span", { class: "aws-id" }, a.account_id)]),
    h("td", {}, h("span", { class: "aws-permission-set" + (/break/i.test(a.permission_set) ? " breakglass" : "") }, a.permission_set)),
  ]));
  return h("table", { class: "aws-table" }, [
    h("thead", {}, h("tr", {}, [h("th", {}, "Who"), h("th", {}, "Account"), h("th", {}, "Permission set")])),
    h("tbody", {}, rows),
  ]);
}

function awsContacts(contacts) {
  const rows = contacts.map((c) => h("tr", { class: "aws-contact" }, [
    h("td", {}, [c.account_name || "", " ", h("span", { class: "aws-id" }, c.account_id)]),
    h("td", {}, h("span", { class: "aws-permission-set" }, c.type)),
    h("td", {}, [c.name || "", c.title ? h("div", { class: "aws-account-meta" }, c.title) : "", h("div", { class: "aws-account-meta" }, [c.email || "", c.phone ? " · " + c.phone : ""])]),
  ]));
  return h("table", { class: "aws-table" }, [
    h("thead", {}, h("tr", {}, [h("th", {}, "Account"), h("th", {}, "Type"), h("th", {}, "Contact")])),
    h("tbody", {}, rows),
  ]);
}

function awsBudgets(budgets) {
  const alertText = (a) => (a.threshold_type === "ABSOLUTE_VALUE" ? String(a.threshold) : `${a.threshold}%`) + (a.type === "FORECASTED" ? " forecast" : "");
  const rows = budgets.map((b) => h("tr", { class: "aws-budget" }, [
    h("td", {}, [b.name, h("div", { class: "aws-account-meta" }, [b.time_unit || "", " ", b.type || ""].join("").trim())]),
    h("td", {}, (b.accounts || []).map((a) => h("div", {}, [a.name || "", " ", h("span", { class: "aws-id" }, a.id)]))),
    h("td", {}, `${b.amount} ${b.unit}`.trim()),
    h("td", {}, (b.alerts || []).map(alertText).join(", ") || h("span", { class: "aws-empty" }, "none")),
  ]));
  return h("table", { class: "aws-table" }, [
    h("thead", {}, h("tr", {}, [h("th", {}, "Budget"), h("th", {}, "Account"), h("th", {}, "Limit"), h("th", {}, "Alerts at")])),
    h("tbody", {}, rows),
  ]);
}

// ---------------------------------------------------------------------------
// Rendering everything from the state

function render(options = {}) {
  if (!app.state) return;
  const channel = currentChannel();
  if (!channel) return;
  // Around everything: the banner and the thread pane change the channel list's size too.
  keepScroll($("messages"), () => {
    renderTopbar();
    renderBanner();
    renderSidebar(channel);
    renderMain(channel);
    renderThread(options.threadBottom || app.stickToBottom);
  }, options.bottom || app.stickToBottom);
  renderModal();
  renderFaults();
  app.stickToBottom = false;
}

function applyState(state) {
  const changed = !app.state || state.version !== app.version || state.me !== app.me;
  if (state.me && (state.me !== app.me || !app.state)) rememberPersona(state.me);
  app.version = state.version;
  if (!changed) return;
  const first = !app.state;
  app.state = state;
  render({ bottom: first });
  if (first) $("composer").focus();
  if (first && currentChannel() && currentChannel().kind === "dm" && app.tab === "home") openHome();
}

function rememberPersona(id) {
  app.me = id;
  store.set("persona", id);
  const url = new URL(location.href);
  url.searchParams.set("as", id);
  history.replaceState(null, "", url);
}

function switchPersona(id) {
  if (id === app.me) return;
  rememberPersona(id);
  app.pollGeneration += 1;
  if (app.pollController) app.pollController.abort();
  Object.assign(app, { version: null, thread: null, lastSeen: {}, homeSignature: null, stickToBottom: true });
  Object.assign(app.modal, { dismissedId: null, appliedErrors: null });
  hideModal();
  app.dismissed.clear();
  messageCache.clear();
  threadCache.clear();
  $("composer-error").hidden = true;
  if (currentChannel() && currentChannel().kind === "dm" && app.tab === "home") openHome();
}

// ---------------------------------------------------------------------------
// Live updates: long-poll /api/state

/**
 * A first visit names no persona, and the server answers as its first one. A remembered
 * persona the server does not have (400) is forgotten, and the page asks again without one.
 */
async function forgetUnknownPersona() {
  if (!app.me) {
    setConnected(false);
    await sleep(1000);
    return;
  }
  app.me = null;
  store.set("persona", "");
}

function setConnected(connected) {
  $("connection").hidden = connected;
}

async function pollForever() {
  for (;;) {
    const generation = app.pollGeneration;
    const controller = new AbortController();
    app.pollController = controller;
    const params = new URLSearchParams();
    if (app.me) params.set("as", app.me);
    if (app.version !== null) params.set("since", String(app.version));
    try {
      const response = await fetch("/api/state?" + params, { signal: controller.signal, cache: "no-store" });
      if (response.status === 400 && !app.state) {
        await forgetUnknownPersona();
        continue;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const state = await response.json();
      if (generation !== app.pollGeneration) continue; // the persona changed while it waited
      setConnected(true);
      applyState(state);
    } catch (error) {
      if (generation !== app.pollGeneration) continue;
      setConnected(false);
      app.version = null; // ask for the state at once when back: a restarted server counts afresh
      await sleep(1000);
    }
  }
}

// ---------------------------------------------------------------------------
// Wiring

function setupEvents() {
  setupComposer($("composer"), $("send"), $("composer-error"), () => {
    const channel = currentChannel();
    return channel ? { channel: channel.id, thread_ts: null } : null;
  });
  setupComposer($("thread-composer"), $("thread-send"), $("thread-composer-error"), () =>
    app.thread ? { channel: app.thread.channel, thread_ts: app.thread.ts } : null,
  );
  $("persona").addEventListener("change", (event) => switchPersona(event.target.value));
  $("thread-close").addEventListener("click", closeThread);
  for (const tab of document.querySelectorAll("[data-tab]")) tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  $("faults-toggle").addEventListener("click", () => toggleDrawer("faults"));
  $("aws-toggle").addEventListener("click", () => toggleDrawer("aws"));
  for (const button of document.querySelectorAll("[data-close]")) button.addEventListener("click", () => toggleDrawer(button.dataset.close, false));
  $("modal-close").addEventListener("click", closeModal);
  $("modal-x").addEventListener("click", closeModal);
  $("modal-submit").addEventListener("click", submitModal);
  for (const event of ["input", "change"]) $("modal-body").addEventListener(event, clearFieldError);
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".overflow")) closeMenus();
    const goto = event.target.closest("[data-goto]");
    if (goto) {
      event.preventDefault();
      selectChannel(goto.dataset.goto);
    }
  });
  document.addEventListener("keydown", onEscape);
  setupFaults();
  setInterval(() => {
    if (!app.state) return;
    renderBanner();
    if (!$("faults").hidden || slackDownSeconds() > 0) renderFaults();
  }, 1000);
}

function onEscape(event) {
  if (event.key !== "Escape") return;
  if (askConfirm.pending) askConfirm.pending(false);
  else if (document.querySelector(".overflow-menu:not([hidden])")) closeMenus();
  else if (!$("faults").hidden || !$("aws").hidden) toggleDrawer(null, false);
  else if (!$("modal").hidden) closeModal();
  else return;
  event.preventDefault();
}

document.addEventListener("DOMContentLoaded", async () => {
  if (app.me) rememberPersona(app.me);
  setupEvents();
  // A modal lives in the page that opened it, as in Slack: a reload closes it.
  if (app.me) await api("/api/opened").catch(() => {});
  pollForever();
});
