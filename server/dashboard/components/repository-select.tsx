/** The "Repository" filter shared by the pages that list several repositories. */
export function RepositorySelect(props: { repositories: string[]; selected: string | undefined }) {
  return (
    <label>
      Repository{' '}
      <select name="repository">
        <option value="">All</option>
        {props.repositories.map((repository) => (
          <option value={repository} selected={repository === props.selected}>
            {repository}
          </option>
        ))}
      </select>
    </label>
  );
}
