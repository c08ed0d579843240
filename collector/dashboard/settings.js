// The admins' site settings: tracked numbers, starter phrases and templates, domains, bots,
// channel rules and time zone; the script tag and webhook URLs to copy; and API tokens.

import { api } from './api.js';
import { errorBox, field, h, replace, select } from './dom.js';
import { dateTime } from './format.js';

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** `number` or `number = phone_number_id` per line. */
function numbersText(numbers) {
  return numbers.map((n) => (n.wa_phone_number_id ? `+${n.number} = ${n.wa_phone_number_id}` : `+${n.number}`)).join('\n');
}

function parseNumbers(text) {
  return lines(text).map((l) => {
    const [number, id] = l.split('=').map((x) => x.trim());
    return { number, wa_phone_number_id: id || null };
  });
}

/** `PATH = text` per line, and `PATH = template` in a second box. */
function pagesText(pages, key) {
  return pages.filter((p) => p[key]).map((p) => `${p.path} = ${p[key]}`).join('\n');
}

function parsePages(texts, templates) {
  const byPath = new Map();
  const add = (text, key) => {
    for (const l of lines(text)) {
      const at = l.indexOf('=');
      const path = at < 0 ? l : l.slice(0, at).trim();
      const value = at < 0 ? '' : l.slice(at + 1).trim();
      if (!byPath.has(path)) byPath.set(path, { path, text: '' });
      byPath.get(path)[key] = value;
    }
  };
  add(texts, 'text');
  add(templates, 'template');
  return [...byPath.values()];
}

function copyBox(id, text) {
  const pre = h('pre', { id }, text);
  const button = h('button', {
    type: 'button', class: 'link',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = 'Copied';
      } catch (_) {
        getSelection().selectAllChildren(pre);
      }
    },
  }, 'Copy');
  return h('div', { class: 'copy' }, pre, button);
}

function settingsForm(site, zones, onSaved) {
  const area = (name, value, rows = 3) => h('textarea', { name, rows }, value);
  const form = h('form', { class: 'card settings', id: 'settings-form' },
    h('h2', null, 'Site'),
    field('Name', h('input', { name: 'name', value: site.name, required: true })),
    field('Time zone (days and hours of reports)', h('input', {
      name: 'timezone', value: site.timezone, list: 'zones', required: true,
    })),
    h('datalist', { id: 'zones' }, zones.map((z) => h('option', { value: z }))),
    field('Own domains, one per line (their referrers are internal)', area('domains', site.domains.join('\n'))),
    field('Tracked numbers, one per line (“+number = Cloud API phone_number_id” binds an id)',
      area('numbers', numbersText(site.numbers))),
    field('Message template ({text} is the starter phrase, {code} the session code)',
      h('input', { name: 'template', value: site.template, required: true })),
    field('Starter phrases per page: “/path = text”, “/kids/* = text”, “* = text”',
      area('pages', pagesText(site.pages, 'text'), 4)),
    field('Templates per page (other languages): “/ru/* = {text} (код {code})”',
      area('page_templates', pagesText(site.pages, 'template'), 2)),
    field('Telegram bots whose t.me links carry the code, one per line', area('bots', site.bots.join('\n'), 2)),
    field('Channel rules, checked before the default channel group, one per line',
      area('channel_rules', site.channel_rules.join('\n'), 3)),
    h('div', { class: 'message' }),
    h('button', { type: 'submit' }, 'Save settings'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const d = new FormData(form);
    const message = form.querySelector('.message');
    try {
      const saved = await api('/site', {
        method: 'PUT',
        body: {
          name: d.get('name'),
          timezone: d.get('timezone').trim(),
          domains: lines(d.get('domains')),
          numbers: parseNumbers(d.get('numbers')),
          template: d.get('template'),
          pages: parsePages(d.get('pages'), d.get('page_templates')),
          bots: lines(d.get('bots')),
          channel_rules: lines(d.get('channel_rules')),
        },
      });
      replace(message, h('p', { class: 'ok', role: 'status' }, 'Saved.'));
      form.elements.numbers.value = numbersText(saved.numbers);
      form.elements.domains.value = saved.domains.join('\n');
      onSaved(saved);
    } catch (err) {
      replace(message, errorBox(err));
    }
  });
  return form;
}

function tokensSection() {
  const body = h('tbody');
  const message = h('div');
  const draw = async () => {
    const { tokens } = await api('/tokens');
    replace(body, tokens.map((t) => h('tr', null,
      h('td', null, t.name), h('td', null, t.role), h('td', null, dateTime(t.created_at)),
      h('td', null, h('button', {
        type: 'button', class: 'link danger',
        onclick: async () => {
          if (!confirm(`Revoke the token “${t.name}”? Whoever uses it is signed out.`)) return;
          try {
            await api(`/tokens/${t.token_id}`, { method: 'DELETE' });
            await draw();
          } catch (err) {
            replace(message, errorBox(err));
          }
        },
      }, 'Revoke')))));
  };
  const name = h('input', { name: 'name', placeholder: 'e.g. Maria (sales)', required: true });
  const form = h('form', { class: 'inline', id: 'new-token' }, name,
    select('role', [['operator', 'operator: dialogs, cards, tags'], ['analyst', 'analyst: reports'],
      ['admin', 'admin: everything']], 'operator'),
    h('button', { type: 'submit' }, 'Create token'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const t = await api('/tokens', { method: 'POST', body: { name: name.value, role: form.role.value } });
      replace(message, h('div', { class: 'ok' },
        h('p', null, `Token for ${t.name} (${t.role}). It is shown once; copy it now:`),
        copyBox('new-token-value', t.token)));
      name.value = '';
      await draw();
    } catch (err) {
      replace(message, errorBox(err));
    }
  });
  return { section: h('section', { class: 'card', id: 'tokens' }, h('h2', null, 'API tokens'),
    h('table', { class: 'list' }, h('thead', null, h('tr', null,
      ['Name', 'Role', 'Created', ''].map((c) => h('th', null, c)))), body),
    form, message), draw };
}

export async function settingsPage() {
  const site = await api('/site');
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const install = h('section', { class: 'card', id: 'install' });
  const drawInstall = (s) => replace(install,
    h('h2', null, 'Install'),
    h('p', null, 'Put this tag on every page of the site (before ', h('code', null, '</body>'), ' or in the head):'),
    copyBox('script-tag', s.script_tag),
    h('p', null, 'Webhook URLs to give the messaging providers:'),
    h('dl', null, Object.entries(s.webhooks).map(([k, v]) => [h('dt', null, k), h('dd', null, h('code', null, v))])));
  drawInstall(site);
  const tokens = tokensSection();
  await tokens.draw();
  return h('section', null, h('h1', null, 'Settings'),
    h('div', { class: 'grid two' }, settingsForm(site, zones, drawInstall), h('div', null, install, tokens.section)));
}
