// The settings' People section (admins): the site's accounts with their roles, inviting a
// person by e-mail (a new account's one-time link is shown once, to pass on), resetting
// a member's password (their sessions end; a new link is shown) and removing a member from
// the site (after a confirmation; the site's last admin account cannot go).

import { api } from './api.js';
import { errorBox, h, replace, scrollBox } from './dom.js';
import { roleName } from './format.js';
import { t } from './i18n.js';
import { copyBox, roleSelect } from './settings.js';

/** A link the API answered, absolute (it is a path when no public URL is configured). */
function absolute(link) {
  return link.startsWith('/') ? `${location.origin}${link}` : link;
}

/** The People section and a function that (re)draws its list. */
export function membersSection() {
  const body = h('tbody');
  const columns = [t('account.email'), t('settings.token_role'), t('members.state')];
  const message = h('div');
  const shown = (text, link) => replace(message, h('div', { class: 'ok' },
    h('p', null, text), link ? copyBox('member-link', absolute(link)) : null));
  const draw = async () => {
    const { members } = await api('/site/members');
    // `data-label`: the column's name, shown beside the value when rows become cards.
    const td = (i, ...children) => h('td', { 'data-label': columns[i] }, ...children);
    replace(body, members.map((m) => h('tr', null,
      td(0, m.email), td(1, roleName(m.role)),
      td(2, m.active ? t('members.active') : t('members.invited')),
      h('td', { class: 'actions' }, h('div', { class: 'member-actions' }, h('button', {
        type: 'button', class: 'link',
        onclick: async () => {
          if (!confirm(t('members.reset_confirm', { email: m.email }))) return;
          try {
            const done = await api('/site/members/reset', { method: 'POST', body: { email: m.email } });
            shown(t('members.reset_done', { email: done.email }), done.invite_link);
            await draw();
          } catch (err) {
            replace(message, errorBox(err));
          }
        },
      }, t('members.reset')), h('button', {
        type: 'button', class: 'link danger', 'data-remove': m.email,
        onclick: () => remove(m),
      }, t('members.remove')))))));
  };
  // The role goes at once, on every device; an admin who removed themselves has no role
  // left here, so the page starts again (on another of their sites, or signed out).
  const remove = async (m) => {
    if (!confirm(t('members.remove_confirm', { email: m.email }))) return;
    try {
      await api(`/site/members/${encodeURIComponent(m.account_id)}`, { method: 'DELETE' });
    } catch (err) {
      replace(message, errorBox(err));
      return;
    }
    replace(message, h('div', { class: 'ok' }, h('p', null, t('members.removed', { email: m.email }))));
    try {
      await draw();
    } catch (err) {
      if (err.status === 403) location.reload();
      else replace(message, errorBox(err));
    }
  };
  const email = h('input', {
    type: 'email', name: 'email', required: true, placeholder: 'name@example.com',
    'aria-label': t('account.email'),
  });
  const form = h('form', { class: 'inline', id: 'new-member' }, email,
    roleSelect(),
    h('button', { type: 'submit' }, t('members.invite')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const added = await api('/site/members', { method: 'POST', body: { email: email.value, role: form.role.value } });
      const role = roleName(added.role);
      shown(added.invite_link
        ? t('members.invited_link', { email: added.email, role })
        : t('members.added', { email: added.email, role }), added.invite_link);
      email.value = '';
      await draw();
    } catch (err) {
      replace(message, errorBox(err));
    }
  });
  return {
    section: h('section', { class: 'card', id: 'members' }, h('h2', null, t('members.title')),
      scrollBox(t('members.title'), h('table', { class: 'list cards' }, h('thead', null, h('tr', null,
        [...columns, ''].map((c) => h('th', { scope: 'col' }, c)))), body)),
      form, message),
    draw,
  };
}
