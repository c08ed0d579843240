// The dashboard: a hash router over the API. Pages by role: operators get dialogs and
// source cards, analysts reports, admins everything plus the site settings. People sign in
// with an account (e-mail and password: a session cookie, a role per site, a switcher
// between sites) or paste an API token.
//
// A page may answer a change of its own address (new filters) by updating its results in
// place (`update`), so its form, and the focus in it, stay as they are. While a request
// runs, the page says so and what it shows is dimmed: nothing stale passes for current.

import { api, forgetToken, hadSession, noteSession, token } from './api.js';
import { errorBox, h, replace } from './dom.js';
import { invitePage, pickSite, signInPage, siteSwitcher } from './account.js';
import { roleName, useTimeZone } from './format.js';
import { available, locale, t, useLanguage } from './i18n.js';
import { dialogsPage } from './dialogs.js';
import { cardPage } from './card.js';
import { reportsPage } from './reports.js';
import { settingsPage } from './settings.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const progress = document.getElementById('progress');
let me = null;
/** The signed-in account (`GET /session`): its e-mail and sites; null with a token. */
let account = null;
/** The page on screen: its address without the query, and how it updates in place. */
let current = null;
/** Counts routes, so an answer that arrives after a newer route started is dropped. */
let generation = 0;

/** Marks the page as loading (`busy`) or as complete for the current address. */
function state(value) {
  main.dataset.state = value;
  const busy = value === 'loading';
  main.setAttribute('aria-busy', String(busy));
  progress.hidden = !busy;
  if (busy) progress.textContent = t('loading');
  else main.dataset.view = location.hash;
}

/** Shows `content` as the page; `state` and `view` (the hash it answers) tell tests and
 * assistive tools when the page for the current address is complete. */
function show(content, value = 'ready') {
  replace(main, content);
  main.classList.remove('navigating');
  state(value);
}

/** Goes to `hash`, rendering even when it is the current one. */
function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Forgets who is signed in: the next route shows the sign-in page. */
function forget() {
  me = null;
  account = null;
  current = null;
}

function signIn(email) {
  return signInPage({
    email,
    // Stay on the address asked for (a link to a card), or go home.
    onAccount: (signedIn) => {
      account = signedIn;
      noteSession(true);
      me = null;
      route();
    },
    onToken: (tokenMe) => { me = tokenMe; route(); },
  });
}

/** Signs out: a token is forgotten; an account's session (or all its sessions) ends. */
async function signOut(everywhere) {
  if (token()) forgetToken();
  else {
    try {
      await api(everywhere ? '/session/all' : '/session', { method: 'DELETE' });
    } catch (_) { /* ended already */ }
    noteSession(false);
  }
  forget();
  navigate('#/');
}

function renderNav() {
  if (!me) {
    replace(nav);
    return;
  }
  const links = [];
  if (me.can.dialogs) links.push(h('a', { href: '#/dialogs' }, t('nav.dialogs')));
  if (me.can.reports) links.push(h('a', { href: '#/reports' }, t('nav.reports')));
  if (me.can.settings) links.push(h('a', { href: '#/settings' }, t('nav.settings')));
  const here = location.hash.split('?')[0].split('/')[1] || home();
  for (const a of links) {
    if (a.getAttribute('href') === `#/${here}`) a.setAttribute('aria-current', 'page');
  }
  const switcher = token() ? null : siteSwitcher(account, () => { me = null; current = null; navigate('#/'); });
  replace(nav, links,
    switcher || h('span', { class: 'who' }, me.site.name, ' · ', roleName(me.role)),
    h('button', { type: 'button', class: 'link', id: 'signout', onclick: () => signOut(false) },
      t('nav.signout')),
    account && !token()
      ? h('button', { type: 'button', class: 'link', id: 'signout-all', onclick: () => signOut(true) },
        t('account.signout_all'))
      : null);
}

/** The language switch: every catalogue the server has, the choice kept on this device. */
function languageSwitch() {
  const holder = document.getElementById('lang-switch');
  const list = available();
  if (list.length < 2) {
    replace(holder);
    return;
  }
  const select = h('select', { id: 'lang', name: 'lang', 'aria-label': t('nav.language') },
    list.map((l) => h('option', { value: l.code, lang: l.code, selected: l.code === locale() }, l.name)));
  // Keyboard users step through the options with the arrow keys: switch once they stop.
  let timer = null;
  select.addEventListener('change', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      await useLanguage(select.value, { remember: true });
      select.setAttribute('aria-label', t('nav.language'));
      current = null;
      route();
    }, 300);
  });
  replace(holder, select);
}

function home() {
  if (!me) return '';
  if (me.can.dialogs) return 'dialogs';
  if (me.can.reports) return 'reports';
  return 'settings';
}

async function route() {
  const mine = ++generation;
  const [path, search] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search || '');
  const parts = path.split('/').filter(Boolean);
  const invite = location.hash.match(/^#invite=([\w-]+)/);
  if (invite) {
    forget();
    renderNav();
    show(invitePage(invite[1], (email) => {
      history.replaceState(null, '', location.pathname);
      show(h('div', null, h('p', { class: 'card narrow notice', role: 'status' }, t('account.password_set')),
        signIn(email)));
    }));
    return;
  }
  // What is on screen stays, dimmed, until the answer comes.
  state('loading');
  try {
    if (!token() && !account && hadSession()) {
      account = await api('/session').catch((err) => {
        if (err.status !== 401) throw err;
        noteSession(false);
        return null;
      });
    }
    if (mine !== generation) return;
    if (!token() && !account) {
      forget();
      renderNav();
      show(signIn());
      return;
    }
    if (!token() && !pickSite(account)) {
      me = null;
      current = null;
      replace(nav, h('button', { type: 'button', class: 'link', id: 'signout', onclick: () => signOut(false) },
        t('nav.signout')));
      show(h('div', { class: 'card narrow', id: 'no-sites' }, h('p', null, t('account.no_sites'))));
      return;
    }
    if (!me) me = await api('/me');
  } catch (err) {
    if (mine !== generation) return;
    if (err.status === 401) {
      forgetToken();
      noteSession(false);
    }
    forget();
    renderNav();
    show(h('div', null, errorBox(err), signIn()));
    return;
  }
  useTimeZone(me.site.timezone);
  const page = parts[0] || home();
  const key = [page, ...parts.slice(1)].join('/');
  renderNav();
  if (current && current.key === key && current.update) {
    try {
      await current.update(params);
    } catch (err) {
      if (mine === generation) current.fail(err);
    }
    if (mine === generation) state('ready');
    return;
  }
  main.classList.add('navigating');
  // An explicit "Show" with the same filters fetches again.
  const go = (hash) => navigate(hash);
  const pages = {
    dialogs: () => (parts[1] ? cardPage(me, parts[1]) : dialogsPage(me, params, go)),
    reports: () => reportsPage(me, params, go),
    settings: () => settingsPage(me),
  };
  const allowed = { dialogs: me.can.dialogs, reports: me.can.reports, settings: me.can.settings };
  if (!pages[page] || !allowed[page]) {
    current = null;
    show(h('div', { class: 'card' }, h('h1', null, t('notfound.title')),
      h('p', null, t('notfound.text', { role: roleName(me.role), page }))));
    return;
  }
  let view;
  try {
    view = await pages[page]();
  } catch (err) {
    if (mine !== generation) return;
    current = null;
    show(errorBox(err, () => route()), 'error');
    return;
  }
  if (mine !== generation) return;
  const { el, update, fail } = view instanceof Node ? { el: view } : view;
  current = { key, update, fail };
  show(el);
  document.title = `${el.querySelector('h1')?.textContent || ''} · chatrail`;
}

async function start() {
  try {
    await useLanguage();
  } catch (_) { /* no catalogue: keys show, the dashboard still works */ }
  languageSwitch();
  window.addEventListener('hashchange', route);
  route();
}

start();
