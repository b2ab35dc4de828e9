// Widget: a JPA entity on a table whose timestamp, actor, version and soft
// delete columns orm_triggers keeps (test/orm/jpa, doc/orm/jpa.md).
package ormt;

import java.sql.Timestamp;
import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.GeneratedValue;
import javax.persistence.GenerationType;
import javax.persistence.Id;
import javax.persistence.SequenceGenerator;
import javax.persistence.Table;
import javax.persistence.Version;
import org.eclipse.persistence.annotations.AdditionalCriteria;
import org.eclipse.persistence.annotations.Customizer;
import org.eclipse.persistence.annotations.ReturnInsert;

// recipe:begin entity
@Entity
@Table(name = "widgets")
@AdditionalCriteria("this.deletedAt IS NULL")      // queries and find() skip soft-deleted rows
@Customizer(SoftDeleteCustomizer.class)            // remove() is an UPDATE (see SoftDeleteCustomizer)
public class Widget {
    @Id                                            // SEQUENCE, not IDENTITY (see below)
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "widgets_id")
    @SequenceGenerator(name = "widgets_id", sequenceName = "widgets_id_seq", allocationSize = 1)
    public Long id;

    public String name;
    public int price;

    @Version                                       // JPA's own optimistic lock, unchanged
    @Column(name = "lock_version")
    public int lockVersion;

    // owned by the triggers: returnOnly keeps them out of the INSERT and
    // reads the triggers' values back with RETURNING; an UPDATE never
    // writes them (they do not change in Java), refresh() reads them back
    @ReturnInsert(returnOnly = true)
    @Column(name = "created_at")
    public Timestamp createdAt;

    @ReturnInsert(returnOnly = true)
    @Column(name = "updated_at")
    public Timestamp updatedAt;

    @ReturnInsert(returnOnly = true)
    @Column(name = "created_by")
    public String createdBy;

    @ReturnInsert(returnOnly = true)
    @Column(name = "updated_by")
    public String updatedBy;

    @Column(name = "deleted_at", insertable = false, updatable = false)
    public Timestamp deletedAt;
}
// recipe:end entity
