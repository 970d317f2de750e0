/**
 * Shared Python piece for the HTTP modules (get_url, uri): one request with Ansible's fetch_url
 * conventions (info dict with lower-cased headers, msg 'OK (N bytes)', status -1 on connection
 * failures, HTTPError bodies kept), on the host, with urllib only.
 */
export const PY_HTTP = String.raw`
import base64, ssl, socket
try:
    import urllib.request as urlreq
    import urllib.error as urlerr
    from http import cookiejar
    from email.utils import formatdate
except ImportError:
    fail('the HTTP modules need Python 3 on the host')

class NoRedirect(urlreq.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, hdrs, newurl):
        return None

class SafeRedirect(urlreq.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, hdrs, newurl):
        if req.get_method() not in ('GET', 'HEAD'):
            return None
        return urlreq.HTTPRedirectHandler.redirect_request(self, req, fp, code, msg, hdrs, newurl)

def fetch_url(url, data=None, headers=None, method=None, timeout=10, force=False, last_mod_time=None, follow='urllib2'):
    a = ARGS
    info = {'url': url, 'status': -1}
    hdrs = dict(headers or {})
    handlers = []
    if not a.get('use_proxy', True):
        handlers.append(urlreq.ProxyHandler({}))
    if url.startswith('https'):
        ctx = ssl.create_default_context()
        if not a.get('validate_certs', True):
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if a.get('client_cert'):
            ctx.load_cert_chain(a['client_cert'], a.get('client_key'))
        if a.get('ca_path'):
            ctx.load_verify_locations(a['ca_path'])
        handlers.append(urlreq.HTTPSHandler(context=ctx))
    user, pw = a.get('url_username'), a.get('url_password')
    if user:
        if a.get('force_basic_auth'):
            hdrs['Authorization'] = 'Basic ' + base64.b64encode(('%s:%s' % (user, pw or '')).encode()).decode()
        else:
            mgr = urlreq.HTTPPasswordMgrWithDefaultRealm()
            mgr.add_password(None, url, user, pw or '')
            handlers.append(urlreq.HTTPBasicAuthHandler(mgr))
    if follow in ('no', 'none'):
        handlers.append(NoRedirect())
    elif follow == 'safe':
        handlers.append(SafeRedirect())
    jar = cookiejar.LWPCookieJar()
    handlers.append(urlreq.HTTPCookieProcessor(jar))
    opener = urlreq.build_opener(*handlers)
    if force:
        hdrs['cache-control'] = 'no-cache'
    elif last_mod_time is not None:
        hdrs['If-Modified-Since'] = formatdate(last_mod_time, usegmt=True)
    hdrs.setdefault('User-Agent', a.get('http_agent') or 'ansible-httpget')
    if isinstance(data, str):
        data = data.encode('utf-8')
    req = urlreq.Request(url, data=data, headers=dict((k, str(v)) for k, v in hdrs.items()), method=method)
    r = None
    try:
        r = opener.open(req, timeout=timeout)
        merged = {}
        for k, v in r.headers.items():
            k = k.lower()
            merged[k] = (merged[k] + ', ' + v) if k in merged else v
        info.update(merged)
        info['cookies_string'] = '; '.join('%s=%s' % (c.name, c.value) for c in jar)
        info['cookies'] = dict((c.name, c.value) for c in jar)
        info.update(msg='OK (%s bytes)' % r.headers.get('Content-Length', 'unknown'), url=r.geturl(), status=r.getcode())
    except urlerr.HTTPError as e:
        r = e
        try:
            body = e.read()
        except Exception:
            body = b''
        try:
            info.update(dict((k.lower(), v) for k, v in e.info().items()))
        except Exception:
            pass
        info.update({'msg': str(e), 'body': body, 'status': e.code})
    except urlerr.URLError as e:
        info.update(msg='Request failed: %s' % e, status=int(getattr(e, 'code', -1)))
    except socket.error as e:
        info.update(msg='Connection failure: %s' % e, status=-1)
    except Exception as e:
        info.update(msg='An unknown error occurred: %s' % e, status=-1)
    return r, info
`;
