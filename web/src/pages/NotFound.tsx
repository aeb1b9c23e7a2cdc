import { PageTitle } from '../components/bits';
import { appUrl, Link } from '../router';

export function NotFound() {
  return (
    <>
      <PageTitle title="Not found">Page not found</PageTitle>
      <p>
        There is no page at this address. Go to the <Link href={appUrl('')}>overview</Link> or the{' '}
        <Link href={appUrl('rankings')}>rankings</Link>.
      </p>
    </>
  );
}
