// The admins' site settings: tracked numbers, starter phrases and templates, domains, bots,
// channel rules and time zone; the script tag and webhook URLs to copy; API tokens; the
// lead stages and their rules; and the upload of ad costs.

import { api, query } from './api.js';
import { conversionsSection } from './conversions.js';
import { membersSection } from './members.js';
import { errorBox, field, h, replace, scrollBox, select } from './dom.js';
import { dateTime, day, money, roleName } from './format.js';
import { t, tn } from './i18n.js';

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

export function copyBox(id, text) {
  const pre = h('pre', { id }, text);
  const button = h('button', {
    type: 'button', class: 'link',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = t('settings.copied');
      } catch (_) {
        getSelection().selectAllChildren(pre);
      }
    },
  }, t('settings.copy'));
  return h('div', { class: 'copy' }, pre, button);
}

function settingsForm(site, zones, onSaved) {
  const area = (name, value, rows = 3) => h('textarea', { name, rows }, value);
  const form = h('form', { class: 'card settings', id: 'settings-form' },
    h('h2', null, t('settings.site')),
    field(t('settings.name'), h('input', { name: 'name', value: site.name, required: true })),
    field(t('settings.timezone'), h('input', {
      name: 'timezone', value: site.timezone, list: 'zones', required: true,
    })),
    h('datalist', { id: 'zones' }, zones.map((z) => h('option', { value: z }))),
    field(t('settings.domains'), area('domains', site.domains.join('\n'))),
    field(t('settings.numbers'), area('numbers', numbersText(site.numbers))),
    field(t('settings.template'), h('input', { name: 'template', value: site.template, required: true })),
    field(t('settings.pages'), area('pages', pagesText(site.pages, 'text'), 4)),
    field(t('settings.page_templates'), area('page_templates', pagesText(site.pages, 'template'), 2)),
    field(t('settings.bots'), area('bots', site.bots.join('\n'), 2)),
    field(t('settings.channel_rules'), area('channel_rules', site.channel_rules.join('\n'), 3)),
    h('div', { class: 'message' }),
    h('button', { type: 'submit' }, t('settings.save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const d = new FormData(form);
    const message = form.querySelector('.message');
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    replace(message, h('p', { class: 'muted', role: 'status' }, t('settings.saving')));
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
      replace(message, h('p', { class: 'ok', role: 'status' }, t('settings.saved')));
      form.elements.numbers.value = numbersText(saved.numbers);
      form.elements.domains.value = saved.domains.join('\n');
      onSaved(saved);
    } catch (err) {
      replace(message, errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** A choice of role, each with what it may do; operator first chosen. */
export function roleSelect() {
  return h('select', { name: 'role', 'aria-label': t('settings.token_role') },
    ['operator', 'analyst', 'admin'].map((r) => h('option', { value: r, selected: r === 'operator' },
      `${roleName(r)}: ${t(`settings.role_${r}`)}`)));
}

function tokensSection() {
  const body = h('tbody');
  const message = h('div');
  const draw = async () => {
    const { tokens } = await api('/tokens');
    replace(body, tokens.map((tok) => h('tr', null,
      h('td', null, tok.name), h('td', null, roleName(tok.role)), h('td', null, dateTime(tok.created_at)),
      h('td', null, h('button', {
        type: 'button', class: 'link danger',
        onclick: async () => {
          if (!confirm(t('settings.revoke_confirm', { name: tok.name }))) return;
          try {
            await api(`/tokens/${tok.token_id}`, { method: 'DELETE' });
            await draw();
          } catch (err) {
            replace(message, errorBox(err));
          }
        },
      }, t('settings.revoke'))))));
  };
  const name = h('input', {
    name: 'name', placeholder: t('settings.token_name_hint'), required: true,
    'aria-label': t('settings.token_name'),
  });
  const form = h('form', { class: 'inline', id: 'new-token' }, name,
    roleSelect(),
    h('button', { type: 'submit' }, t('settings.create_token')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const tok = await api('/tokens', { method: 'POST', body: { name: name.value, role: form.role.value } });
      replace(message, h('div', { class: 'ok' },
        h('p', null, t('settings.token_created', { name: tok.name, role: roleName(tok.role) })),
        copyBox('new-token-value', tok.token)));
      name.value = '';
      await draw();
    } catch (err) {
      replace(message, errorBox(err));
    }
  });
  return { section: h('section', { class: 'card', id: 'tokens' }, h('h2', null, t('settings.tokens')),
    scrollBox(t('settings.tokens'), h('table', { class: 'list' }, h('thead', null, h('tr', null,
      [t('settings.token_name'), t('settings.token_role'), t('settings.token_created_at'),
        h('span', { class: 'sr-only' }, t('settings.revoke'))]
        .map((c) => h('th', { scope: 'col' }, c)))), body)),
    form, message), draw };
}

const KINDS = ['open', 'won', 'lost'];

/** The site's stages in order, each with its kind, moved up and down, added and removed,
 * and the rules that move dialogs; saved together. */
function stagesSection(settings) {
  const list = h('ol', { class: 'stages', id: 'stages' });
  const message = h('div');
  let stages = settings.stages.map((s) => ({ ...s }));
  const draw = () => replace(list, stages.map((s, i) => {
    const name = h('input', {
      name: 'stage-name', value: s.name, required: true, maxlength: 30,
      'aria-label': t('stages.name', { n: i + 1 }),
      oninput: (e) => { s.name = e.target.value; },
    });
    const kind = select('stage-kind', KINDS.map((k) => [k, t(`stages.kind_${k}`)]), s.kind);
    kind.setAttribute('aria-label', t('stages.kind', { n: i + 1 }));
    kind.addEventListener('change', () => { s.kind = kind.value; });
    // The keyboard follows the stage it moves (or the other arrow, at the end).
    const move = (by, label, sign) => h('button', {
      type: 'button', class: 'link', title: label, 'aria-label': label, 'data-move': by,
      disabled: i + by < 0 || i + by >= stages.length,
      onclick: () => {
        [stages[i], stages[i + by]] = [stages[i + by], stages[i]];
        draw();
        const row = list.children[i + by];
        const same = row?.querySelector(`button[data-move="${by}"]`);
        (same && !same.disabled ? same : row?.querySelector(`button[data-move="${-by}"]`))?.focus();
      },
    }, sign);
    return h('li', null, name, kind,
      move(-1, t('stages.up', { n: i + 1 }), '↑'), move(1, t('stages.down', { n: i + 1 }), '↓'),
      h('button', {
        type: 'button', class: 'link danger', title: t('stages.remove', { n: i + 1 }),
        'aria-label': t('stages.remove', { n: i + 1 }),
        onclick: () => {
          stages.splice(i, 1);
          draw();
          (list.children[i] || list.lastElementChild)?.querySelector('input')?.focus();
        },
      }, '×'));
  }));
  const rules = h('textarea', { name: 'rules', rows: 3, placeholder: 'tag:paid -> won' },
    settings.rules.join('\n'));
  const form = h('form', { class: 'card settings', id: 'stages-form' },
    h('h2', null, t('stages.title')),
    h('p', { class: 'muted' }, t('stages.help')),
    list,
    h('p', null, h('button', {
      type: 'button', class: 'link', id: 'add-stage',
      onclick: () => {
        stages.splice(Math.max(stages.length - 2, 1), 0, { name: '', kind: 'open' });
        draw();
        list.querySelector('input[value=""]')?.focus();
      },
    }, t('stages.add'))),
    field(t('stages.rules'), rules),
    message,
    h('button', { type: 'submit' }, t('stages.save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const saved = await api('/site/outcomes', {
        method: 'PUT', body: { stages, rules: lines(rules.value) },
      });
      stages = saved.stages.map((s) => ({ ...s }));
      rules.value = saved.rules.join('\n');
      draw();
      replace(message, h('p', { class: 'ok', role: 'status' }, t('settings.saved')));
    } catch (err) {
      replace(message, errorBox(err));
    }
  });
  draw();
  return form;
}

/** The upload of a cost file (`POST /costs`), with its column mapping; says what was
 * imported, or the API's error, in place. */
function costsSection() {
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,.tsv,.txt,text/csv', required: true });
  const map = h('input', { name: 'map', placeholder: 'date=Day;campaign=Campaign;source:=google' });
  const message = h('div', { id: 'costs-message' });
  const form = h('form', { class: 'card settings', id: 'costs-form' },
    h('h2', null, t('costs.title')),
    h('p', { class: 'muted' }, t('costs.help')),
    h('pre', { class: 'sample' }, 'date,source,medium,campaign,cost,currency\n2026-03-01,google,cpc,spring,120.50,USD'),
    field(t('costs.file'), file),
    field(t('costs.map'), map),
    message,
    h('button', { type: 'submit' }, t('costs.upload')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    replace(message, h('p', { class: 'muted', role: 'status' }, t('costs.uploading')));
    try {
      const r = await api(`/costs${query({ map: map.value.trim() })}`, { method: 'POST', file: chosen });
      const totals = Object.entries(r.totals).map(([c, v]) => money(v, c)).join(', ');
      replace(message, h('p', { class: 'ok', role: 'status', id: 'costs-imported' },
        tn('costs.imported', r.rows, {
          days: tn('costs.days', r.days), from: day(r.from), to: day(r.to), totals,
        })));
      file.value = '';
    } catch (err) {
      replace(message, errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export async function settingsPage() {
  const site = await api('/site');
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const install = h('section', { class: 'card', id: 'install' });
  const drawInstall = (s) => replace(install,
    h('h2', null, t('settings.install')),
    h('p', null, t('settings.install_tag', { end: '</body>' })),
    copyBox('script-tag', s.script_tag),
    h('p', null, t('settings.install_webhooks')),
    h('dl', null, Object.entries(s.webhooks).map(([k, v]) => [h('dt', null, k), h('dd', null, h('code', null, v))])));
  drawInstall(site);
  const tokens = tokensSection();
  const members = membersSection();
  const [, , outcomes] = await Promise.all([tokens.draw(), members.draw(), api('/site/outcomes')]);
  return h('section', null, h('h1', null, t('settings.title')),
    h('div', { class: 'grid two' }, settingsForm(site, zones, drawInstall), h('div', null, install, members.section, tokens.section)),
    h('div', { class: 'grid two' }, stagesSection(outcomes), costsSection()),
    await conversionsSection());
}
