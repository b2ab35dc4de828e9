// Note: an entity without @Version on a soft-deleting table; EclipseLink
// does not check the row count of its DELETE.
package ormt;

import java.sql.Timestamp;
import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.GeneratedValue;
import javax.persistence.GenerationType;
import javax.persistence.Id;
import javax.persistence.SequenceGenerator;
import javax.persistence.Table;

@Entity
@Table(name = "notes")
public class Note {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "notes_id")
    @SequenceGenerator(name = "notes_id", sequenceName = "notes_id_seq", allocationSize = 1)
    public Long id;

    public String body;

    @Column(name = "deleted_at", insertable = false, updatable = false)
    public Timestamp deletedAt;
}
