import { Link } from "react-router";
import { useDocumentTitle } from "../lib/use-document-title.ts";

export function NotFoundPage() {
  useDocumentTitle("Not found");
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <Link to="/hubs">Back to the hubs</Link>
      </p>
    </>
  );
}
