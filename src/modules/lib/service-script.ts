import { shQuote } from '../../shell/quote.js';
import { SH_OUT } from './exec.js';

export interface ServiceParams {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  daemonReload: boolean;
  check: boolean;
  /** 'systemd', another manager name, or '' to detect on the host. */
  manager: string;
  /** Seconds between the stop and the start of a restart without systemd or OpenRC (Ansible's `sleep`). */
  sleep?: number;
}

/**
 * service without systemd: one script reads the service's state, acts, and prints `@@ww key=value`
 * lines: `service` / init scripts, with update-rc.d, chkconfig or rc-update for `enabled`. With
 * manager '' it first detects the manager as Ansible's facts do and, on systemd, only reports
 * `manager=systemd` (the caller then runs systemd_service, as Ansible's service action does).
 */
export function composeServiceScript(p: ServiceParams): string {
  const mgr = p.manager === 'systemd' ? 'systemd' : p.manager ? 'other' : '';
  return `${SH_OUT}
u=${shQuote(p.name)}; want=${shQuote(p.state ?? '')}; en=${p.enabled === undefined ? "''" : p.enabled ? 1 : 0}; dr=${p.daemonReload ? 1 : 0}; check=${p.check ? 1 : 0}; mgr=${shQuote(mgr)}
ww_fail() { ww_o error "$1"; exit 0; }
# the service manager as Ansible's setup sees it (ansible_service_mgr): PID 1's name, else systemd's run dirs;
# on systemd the caller runs the systemd_service module instead (as Ansible's service action does)
if [ -z "$mgr" ]; then
  p1=$(cat /proc/1/comm 2>/dev/null); p1=\${p1##*/}
  case "$p1" in ''|init|*sh) p1= ;; esac
  if [ "$p1" = systemd ]; then mgr=systemd
  elif [ -z "$p1" ] && command -v systemctl >/dev/null 2>&1 && { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ]; }; then mgr=systemd
  else mgr=other; fi
fi
ww_o manager "$mgr"
[ "$mgr" = systemd ] && exit 0
chg=0
# no systemd: service(8) or the init script itself
if command -v service >/dev/null 2>&1; then svc() { service "$u" "$1"; }
elif [ -x "/etc/init.d/$u" ]; then svc() { "/etc/init.d/$u" "$1"; }
elif command -v rc-service >/dev/null 2>&1; then svc() { rc-service "$u" "$1"; }
else ww_fail nomanager; fi
[ -e "/etc/init.d/$u" ] || command -v rc-service >/dev/null 2>&1 || ww_fail notfound
if [ -n "$want" ]; then
  if svc status >/dev/null 2>&1; then running=1; else running=0; fi
  ww_o active $running
  ww_act() { if [ "$check" = 0 ]; then svc "$1" >/dev/null || ww_fail "$1"; fi; chg=1; ww_o action "$1"; }
  # as Ansible: not every init script can restart, so stop, then start (only the start must succeed); OpenRC's can
  ww_restart() {
    if command -v rc-service >/dev/null 2>&1; then ww_act restart; return; fi
    if [ "$check" = 0 ]; then svc stop >/dev/null; ${p.sleep ? `sleep ${Math.floor(p.sleep)}; ` : ''}svc start >/dev/null || ww_fail restart; fi
    chg=1; ww_o action restart
  }
  case "$want" in
    started) [ $running = 1 ] || ww_act start ;;
    stopped) [ $running = 0 ] || ww_act stop ;;
    restarted) ww_restart ;;
    reloaded) if [ $running = 1 ]; then ww_act reload; else ww_act start; fi ;;
  esac
fi
if [ -n "$en" ]; then
  isen=0
  if command -v update-rc.d >/dev/null 2>&1; then
    for f in /etc/rc2.d/S??"$u" /etc/rc3.d/S??"$u" /etc/rc5.d/S??"$u"; do [ -e "$f" ] && isen=1; done
    on() { update-rc.d "$u" defaults >/dev/null && update-rc.d "$u" enable >/dev/null; }
    off() { update-rc.d "$u" disable >/dev/null; }
  elif command -v chkconfig >/dev/null 2>&1; then
    chkconfig --list "$u" 2>/dev/null | grep -q ':on' && isen=1
    on() { chkconfig "$u" on; }
    off() { chkconfig "$u" off; }
  elif command -v rc-update >/dev/null 2>&1; then
    rc-update show 2>/dev/null | grep -q "^ *$u |" && isen=1
    on() { rc-update add "$u" default >/dev/null; }
    off() { rc-update del "$u" default >/dev/null; }
  else ww_fail noenable; fi
  ww_o enabled_state $isen
  if [ "$en" != "$isen" ]; then
    chg=1
    if [ "$check" = 0 ]; then if [ "$en" = 1 ]; then on || ww_fail enable; else off || ww_fail disable; fi; fi
    ww_o action "$([ "$en" = 1 ] && echo enable || echo disable)"
  fi
fi
ww_o changed $chg
`;
}
